#!/usr/bin/env bash
# Issue 24, "Roots are checked when the job runs": a run started by the service
# (FILMRESTORE_JOB_ROOTS set, as filmrestored sets it) follows no symbolic link
# below its roots, reads no playlist entry or image-sequence picture outside them,
# and a queued job whose folder became a link before it started fails, naming it.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
mkdir -p root/in root/out outside
ff -f lavfi -i testsrc2=size=64x48:rate=12 -t 1 -c:v libx264 -pix_fmt yuv420p outside/secret.mkv
ff -f lavfi -i testsrc2=size=64x48:rate=12 -t 1 -c:v libx264 -pix_fmt yuv420p root/in/clip.mkv
run=(run --model tint --render-factor 4 --ranks 0)
export FILMRESTORE_JOB_ROOTS=$PWD/root

# 1. a folder on the way that is a symbolic link (swapped after the submit)
ln -s "$PWD/outside" root/swapped
expect_error link-input "symbolic link" "${run[@]}" "$PWD/root/swapped/secret.mkv" -o "$PWD/root/out/a.mkv"
expect_error link-output "symbolic link" "${run[@]}" "$PWD/root/in/clip.mkv" -o "$PWD/root/swapped/a.mkv"
[[ ! -e outside/a.mkv ]] || fail "wrote through a link outside the root"
expect_error outside-root "outside the service's allowed roots" "${run[@]}" "$PWD/outside/secret.mkv" -o "$PWD/root/out/a.mkv"

# 2. an HLS playlist under the root naming a film outside it
cat > root/in/list.m3u8 <<M3U
#EXTM3U
#EXT-X-TARGETDURATION:1
#EXTINF:1.0,
$PWD/outside/secret.mkv
#EXT-X-ENDLIST
M3U
expect_error playlist "outside the service's allowed roots" "${run[@]}" "$PWD/root/in/list.m3u8" -o "$PWD/root/out/p.mkv"
# a network URL in a playlist: only local files are read
sed -i "s|^$PWD/outside/secret.mkv|http://127.0.0.1:9/x.ts|" root/in/list.m3u8
set +e; "$FR_BIN" "${run[@]}" "$PWD/root/in/list.m3u8" -o "$PWD/root/out/p.mkv" 2>err; rc=$?; set -e
[[ $rc != 0 && ! -e root/out/p.mkv ]] || { cat err; fail "a playlist with an http entry was read"; }

# 3. an image sequence with one picture that is a link to a file outside
mkdir root/seq
ff -f lavfi -i testsrc2=size=64x48:rate=12 -frames:v 4 root/seq/f_%03d.png
ff -f lavfi -i testsrc2=size=64x48:rate=12 -frames:v 1 outside/f.png
rm root/seq/f_003.png && ln -s "$PWD/outside/f.png" root/seq/f_003.png
expect_error sequence "f_003.png is not a regular file" "${run[@]}" "$PWD/root/seq/f_%03d.png" -o "$PWD/root/out/s.mkv"

# 4. the same run without the variable (a plain run) still works, and inside the root it works too
"$FR_BIN" "${run[@]}" "$PWD/root/in/clip.mkv" -o "$PWD/root/out/ok.mkv" 2>err || { cat err; fail "a confined run inside its root failed"; }
unset FILMRESTORE_JOB_ROOTS

# 5. the daemon: a job held in the queue whose input folder is then swapped for a link fails when it starts
mkdir -p root/films && cp root/in/clip.mkv root/films/clip.mkv
start_daemon "$PWD/spool" --allow-root "$PWD/root" --max-running 0
id=$("$FR_BIN" submit "$PWD/root/films/clip.mkv" -o "$PWD/root/out/j.mkv" --model tint --render-factor 4 --ranks 0)
stop_daemon
mv root/films root/films.real && ln -s "$PWD/outside" root/films && cp outside/secret.mkv outside/clip.mkv
start_daemon "$PWD/spool" --allow-root "$PWD/root"
set +e; "$FR_BIN" watch "$id" 2>watch.log; rc=$?; set -e
[[ $rc == 1 ]] || { cat watch.log; fail "the swapped job did not fail (watch exit $rc)"; }
grep -q "outside the allowed roots" watch.log || { cat watch.log; fail "the failure does not name the roots"; }
[[ ! -e root/out/j.mkv ]] || fail "the swapped job wrote its output"
echo "roots: every case refused"
