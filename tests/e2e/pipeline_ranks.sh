#!/usr/bin/env bash
# The distributed pipeline on real mpirun with 1, 2 and 4 node ranks: the FFV1
# output and the store's datasets are byte-identical whatever the rank count,
# the output keeps the source's luma and audio, and segments never span a cut.
source "$(dirname "$0")/../lib.sh"
make_cuts_clip src.mkv
for n in 1 2 4; do
    "$FR_BIN" run src.mkv -o out$n.mkv --ranks $n --model tint --render-factor 8 --segment-frames 8 2>log$n \
        || { cat log$n; fail "run with $n ranks failed"; }
    grep -q "ranks busy" log$n || fail "no progress lines with $n ranks"
done
cmp out1.mkv out2.mkv || fail "output differs between 1 and 2 ranks"
cmp out1.mkv out4.mkv || fail "output differs between 1 and 4 ranks"
d1=$(store_digest out1.mkv.h5); d2=$(store_digest out2.mkv.h5); d4=$(store_digest out4.mkv.h5)
[[ $d1 == "$d2" && $d1 == "$d4" ]] || fail "store datasets differ across rank counts"
same "luma_hashes src.mkv" "luma_hashes out2.mkv" || fail "luma differs from the source"
# One process (--ranks 0: the same pipeline, its node a thread) equals the distributed run byte
# for byte, with smoothing off and on.
"$FR_BIN" run src.mkv -o local.mkv --ranks 0 --model tint --render-factor 8 --smoothing off 2>log || { cat log; fail "local run failed"; }
"$FR_BIN" run src.mkv -o local_sm.mkv --ranks 0 --model tint --render-factor 8 --segment-frames 8 2>log || { cat log; fail "local run with smoothing failed"; }
cmp local_sm.mkv out2.mkv || fail "one process (smoothing on) differs from 2 node ranks"
"$FR_BIN" run src.mkv -o dist.mkv --ranks 2 --model tint --render-factor 8 --smoothing off 2>log || { cat log; fail "run without smoothing failed"; }
cmp local.mkv dist.mkv || fail "distributed output (smoothing off) differs from the single-process run"
cmp -s dist.mkv out2.mkv && fail "smoothing changed nothing"
same "stream_hash src.mkv a:0" "stream_hash out2.mkv a:0" || fail "audio differs"
"$PYTHON" - out2.mkv.h5 <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
shots, batches = f["shots"][()], f["batches"][()]
assert [int(s) for s in shots["start_frame"]] == [0, 48, 96], shots
assert int(f["state"][0]) == 132 and f["chroma_smoothed"].shape[0] == 132
for b in batches:
    s = shots[b["shot"]]
    assert s["start_frame"] <= b["start"] and b["start"] + b["count"] <= s["end_frame"], (b, s)
    assert b["count"] <= 8
assert f["batch_done"][()].all() and f["batch_smoothed"][()].all()
assert f.attrs["render_factor"] == 8 and f.attrs["model_name"] == b"tint"
# smoothing changed the chroma of a tint run only where gray changed along motion; it must exist
assert f["chroma_smoothed"][()].any()
PY
echo ok
