#!/usr/bin/env bash
# run's option tables: the shot detector's options of `shots` also steer the
# shots `run` plans its batches on; and progress always has a total, even for
# a container that declares no frame count (Ogg), estimated from duration x
# rate until decoding ends.
source "$(dirname "$0")/../lib.sh"
make_cuts_clip cuts.mkv
shots_in_store() { "$PYTHON" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r',swmr=True)['shots'][()]))" "$1"; }
args=(--model gray --render-factor 4 --batch 8 --ranks 1)
"$FR_BIN" run cuts.mkv -o a.mkv "${args[@]}" 2>a.log || { cat a.log; fail "run failed"; }
"$FR_BIN" run cuts.mkv -o b.mkv "${args[@]}" --cut-threshold 3 2>b.log || { cat b.log; fail "run --cut-threshold failed"; }
na=$(shots_in_store a.mkv.h5) nb=$(shots_in_store b.mkv.h5)
ns=$("$FR_BIN" shots cuts.mkv --cut-threshold 3 | tail -n +2 | wc -l)
[[ $na == 3 ]] || fail "default run planned $na shots, not 3"
[[ $nb == "$ns" && $nb -lt $na ]] || fail "run --cut-threshold 3 planned $nb shots; shots says $ns"
# a resumed run must use the same detector settings: the store refuses others
set +e; "$FR_BIN" run cuts.mkv -o b.mkv "${args[@]}" 2>c.log; rc=$?; set -e
[[ $rc != 0 ]] || fail "a store planned with other detector settings was resumed"
expect_error range "cut-ratio" run cuts.mkv -o x.mkv --cut-ratio 0.5
"$FR_BIN" run --help | grep -q -- '--min-shot' || fail "run --help lacks the detector options"

# progress totals for an Ogg (no frame count in the container): 2 s at 24 fps
ff -f lavfi -i testsrc2=size=96x64:rate=24 -t 2 -c:v libtheora clip.ogv
[[ $(ffprobe -v error -select_streams v:0 -show_entries stream=nb_frames -of csv=p=0 clip.ogv) == N/A ]] \
    || skip "this ffmpeg writes a frame count into Ogg"
for ranks in 1 0; do
    FILMRESTORE_PROGRESS_TTY=1 "$FR_BIN" run clip.ogv -o "ogg$ranks.mkv" --model gray -r 4 --ranks $ranks 2>p.log \
        || { cat p.log; fail "run of the Ogg failed"; }
    tr '\r' '\n' < p.log | grep -E '^\[(colorize\+smooth|encode)\]' > bars.txt || true
    [[ -s bars.txt ]] || { cat p.log; fail "no progress bar (ranks $ranks)"; }
    grep -q '/? frames' bars.txt && { cat bars.txt; fail "a progress line without a total (ranks $ranks)"; }
    grep -q ' 48/48 frames' bars.txt || { cat bars.txt; fail "the last progress line is not 48/48 (ranks $ranks)"; }
done
echo "ok: shots $na -> $nb with --cut-threshold 3; Ogg progress had totals"
