#!/usr/bin/env bash
# Runs that must refuse before touching anything: an output or store that is the input
# file (by any name: itself, ./name, a symbolic or a hard link), empty option values
# (--model "" once hung a distributed run), an option --ranks 0 ignores, an unknown backend,
# a codec the container cannot hold.
# Then the launcher's status file: a squatter on the old predictable name
# /tmp/filmrestore-status-PID (a directory, which made every report fail) and a symbolic
# link there are both ignored, the launcher leaves nothing in $TMPDIR, and it removes the status
# files of launchers that were killed. Last, the
# same source named another way (./link.mkv for src.mkv) resumes that run's store.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 1 -c:v libx264 -pix_fmt yuv420p src.mkv
sum=$(sha256sum < src.mkv)
ln -s src.mkv link.mkv
ln src.mkv hard.mkv
for ranks in 0 2; do
    expect_error "same-$ranks" "is the input file itself" run src.mkv -o src.mkv --ranks "$ranks" --model tint
    expect_error "dot-$ranks" "is the input file itself" run src.mkv -o ./src.mkv --ranks "$ranks" --model tint
    expect_error "symlink-$ranks" "is the input file itself" run src.mkv -o link.mkv --ranks "$ranks" --model tint
    expect_error "hardlink-$ranks" "is the input file itself" run hard.mkv -o "$FR_TMP/src.mkv" --ranks "$ranks" --model tint
done
expect_error store-is-input "store is the input file itself" run src.mkv -o out.mkv --store link.mkv --model tint
[[ $(sha256sum < src.mkv) == "$sum" ]] || fail "the source was modified"
start=$(date +%s)
expect_error empty-model "--model: empty value" run src.mkv -o out.mkv --ranks 2 --model ""
expect_error empty-store "--store: empty value" run src.mkv -o out.mkv --ranks 2 --model tint --store ""
(( $(date +%s) - start < 30 )) || fail "refusing empty values took too long"
expect_error "ranks0 --launcher" "--launcher has no effect with --ranks 0" run src.mkv -o out.mkv --ranks 0 --model tint --launcher srun
expect_error backend "--backend: 'foo' is not auto, cpu or cuda" run src.mkv -o out.mkv --model tint --backend foo
expect_error ffv1-mp4 "the mp4 container cannot hold ffv1 video (use .mkv)" run src.mkv -o out.mp4 --ranks 0 --model tint -c ffv1
expect_error prores-mp4 "cannot hold prores" run src.mkv -o out.mp4 --model tint -c prores
# A muxer that refuses a copied stream (flac audio in .mov) is named, not "Invalid argument".
ff -f lavfi -i "testsrc2=size=64x48:rate=24" -f lavfi -i sine=sample_rate=48000 -t 0.5 -c:v libx264 -c:a flac flac.mkv
expect_error flac-mov "the mov container refuses the source's flac stream as a copy; write .mkv instead" run flac.mkv -o out.mov --ranks 0 --model tint
[[ ! -e out.mov ]] || fail "a refused run left out.mov"
[[ ! -e out.mkv ]] || fail "a refused run wrote an output"

mkdir tmpdir victim
echo precious > victim/file
# A status file left by a SIGKILLed launcher (its pid gone) is removed; a live one's is kept.
sleep 0 & dead=$!; wait $dead
touch "tmpdir/filmrestore-status-$dead-AbCdEf" "tmpdir/filmrestore-status-$$-GhIjKl"
# exec keeps the subshell's pid, so the launcher's pid is known before it starts.
( pid=$BASHPID
  mkdir "/tmp/filmrestore-status-$pid" && ln -s "$FR_TMP/victim/file" "tmpdir/filmrestore-status-$pid"
  echo "$pid" > launcher.pid
  TMPDIR=$FR_TMP/tmpdir exec "$FR_BIN" run src.mkv -o out.mkv --ranks 2 --model tint --render-factor 4 ) 2>log
rc=$?
rmdir "/tmp/filmrestore-status-$(cat launcher.pid)"
[[ $rc == 0 && -s out.mkv ]] || { cat log; fail "run with squatted status names failed ($rc)"; }
[[ $(cat victim/file) == precious ]] || fail "the status file followed a symbolic link"
[[ ! -e tmpdir/filmrestore-status-$dead-AbCdEf ]] || fail "a dead launcher's status file was not removed"
rm "tmpdir/filmrestore-status-$$-GhIjKl" || fail "a live launcher's status file was removed"
[[ $(ls tmpdir) == "filmrestore-status-$(cat launcher.pid)" ]] || { ls -la tmpdir; fail "the launcher left files in TMPDIR"; }
# The same source by another name resumes the store: the identity holds the resolved path.
"$FR_BIN" run ./link.mkv -o out.mkv --ranks 2 --model tint --render-factor 4 2>log || { cat log; fail "rerun by another name failed"; }
grep -q "segments: 0 run" log || { cat log; fail "./link.mkv did not resume the store of src.mkv"; }
# colorize-image ONE -o DIR writes into DIR, as with several inputs (cp's convention).
ff -i src.mkv -frames:v 1 still.png
mkdir stills
"$FR_BIN" colorize-image still.png -o stills --model tint 2>log || { cat log; fail "colorize-image into a folder failed"; }
[[ -s stills/still.png ]] || fail "colorize-image did not write stills/still.png"
echo ok
