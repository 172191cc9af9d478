#!/usr/bin/env bash
# Issue 24, "Outputs are protected the way stores are": an output is locked for the whole
# run (by its folder's device and inode and its name, so another spelling of the path finds
# the same lock), a second run on it is refused naming the first, in one process or
# distributed (its node ranks stop, no hang), and a file filmrestore did not write is never
# replaced without -y. The service runs two jobs with one output one after the other.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap 'stop_daemon; [[ -n ${bg:-} ]] && kill $bg 2>/dev/null; true' EXIT
ff -f lavfi -i testsrc2=size=64x48:rate=12 -t 1 -c:v libx264 -pix_fmt yuv420p clip.mkv
ff -f lavfi -i testsrc2=size=320x240:rate=24 -t 12 -c:v libx264 -pix_fmt yuv420p long.mkv
ff -f lavfi -i mandelbrot=size=64x48:rate=12 -t 1 -c:v libx264 -pix_fmt yuv420p other.mkv
cp other.mkv other.orig
fast=(--model tint --render-factor 4)

# 1. another film as the output: refused without -y, the file untouched; -y replaces it
expect_error foreign "filmrestore did not write it" run clip.mkv -o other.mkv "${fast[@]}" --ranks 0
cmp other.mkv other.orig || fail "a film filmrestore did not write was changed"
expect_error foreign-distributed "filmrestore did not write it" run clip.mkv -o other.mkv "${fast[@]}" --ranks 1
cmp other.mkv other.orig || fail "a film filmrestore did not write was changed (distributed)"
"$FR_BIN" run clip.mkv -o other.mkv "${fast[@]}" --ranks 0 -y 2>err || { cat err; fail "-y did not replace it"; }
! cmp -s other.mkv other.orig || fail "-y left the file as it was"
# our own output is replaced by a new run without -y (other settings: another store)
"$FR_BIN" run clip.mkv -o other.mkv "${fast[@]}" --ranks 0 --render-factor 5 --store other5.h5 2>err || { cat err; fail "our own output was refused"; }
# a still (PNG: no tags, no sidecar) that a run wrote is replaced by the next without -y
"$FR_BIN" run clip.mkv -o still.png "${fast[@]}" --ranks 0 2>err || { cat err; fail "the PNG run failed"; }
"$FR_BIN" run clip.mkv -o still.png "${fast[@]}" --ranks 0 --render-factor 5 --store still5.h5 2>err || { cat err; fail "our own PNG was refused"; }
mkdir sub && ln -s sub alias && echo x > sub/notes.txt
expect_error foreign-text "filmrestore did not write it" run clip.mkv -o alias/notes.txt "${fast[@]}" --ranks 0 --codec png

# 2. two runs, one output, two stores: the second is refused while the first runs
"$FR_BIN" run long.mkv -o sub/out.mkv --store a.h5 "${fast[@]}" --ranks 1 2>a.log & bg=$!
for _ in $(seq 600); do [[ -e sub/.out.mkv.filmrestore-lock ]] && break; sleep 0.05; done
[[ -e sub/.out.mkv.filmrestore-lock ]] || { cat a.log; fail "the first run took no output lock"; }
expect_error second-output "output $PWD/alias/out.mkv is in use by another run (pid $bg on" \
    run clip.mkv -o "$PWD/alias/out.mkv" "${fast[@]}" --ranks 0
start=$(date +%s)
expect_error second-output-distributed "is in use by another run (pid $bg on" \
    run clip.mkv -o sub/out.mkv --store c.h5 "${fast[@]}" --ranks 1
(( $(date +%s) - start < 60 )) || fail "the refused distributed run took too long"
kill -0 $bg 2>/dev/null || { cat a.log; fail "the first run ended before the second was tried: the test proves nothing"; }
wait $bg || { cat a.log; fail "the first run failed"; }
bg=
[[ ! -e sub/.out.mkv.filmrestore-lock ]] || fail "the output lock was left behind"
"$FR_BIN" verify sub/out.mkv 2>err || { cat err; fail "the output and its sidecar disagree"; }

# 3. the service: two jobs, one output, two stores, --max-running 2: never side by side
start_daemon "$PWD/spool" --allow-root "$PWD" --max-running 2
j1=$("$FR_BIN" submit clip.mkv -o "$PWD/svc.mkv" --store "$PWD/s1.h5" "${fast[@]}" --ranks 1)
j2=$("$FR_BIN" submit clip.mkv -o "$PWD/alias/../svc.mkv" --store "$PWD/s2.h5" "${fast[@]}" --ranks 1 --render-factor 5)
"$FR_BIN" watch "$j1" 2>/dev/null || fail "$j1 failed"
"$FR_BIN" watch "$j2" 2>/dev/null || fail "$j2 failed"
f1=$(job_field "$j1" finished); s2=$(job_field "$j2" started)
"$PYTHON" -c "import sys; sys.exit(0 if float('$s2') >= float('$f1') else 1)" || fail "the two jobs on one output ran side by side"
"$FR_BIN" verify svc.mkv 2>err || { cat err; fail "svc.mkv and its sidecar disagree"; }
echo "outputs: protected"
