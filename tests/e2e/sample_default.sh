#!/usr/bin/env bash
# The README's main job on a short cut of the bundled sample: `run --restore all` with no
# --model uses the embedded models/default.h5 on 2 local MPI ranks; the output carries the
# restored luma (changed, yet close to the sample's) and real colour (chroma away from
# neutral, and not one flat tint).
source "$(dirname "$0")/../lib.sh"
sample=$FR_ROOT/samples/calais-1906.ogv
[[ -f $sample ]] || fail "samples/calais-1906.ogv missing"
# 6 s (90 frames, across the sample's cut at frame 81), FFV1: the decoded luma, losslessly
ff -i "$sample" -t 6 -map 0:v:0 -c:v ffv1 cut.mkv
"$FR_BIN" run cut.mkv -o colour.mkv --ranks 2 --restore all 2>log || { cat log; fail "main job failed"; }
same "luma_hashes cut.mkv" "luma_hashes colour.mkv" && fail "--restore all left the sample's luma untouched"
db=$(ffmpeg -nostdin -v info -i colour.mkv -i cut.mkv -lavfi "[0:v]extractplanes=y[a];[1:v]extractplanes=y[b];[a][b]psnr" -f null - 2>&1 \
     | sed -n 's/.*PSNR.* average:\([0-9.inf]*\).*/\1/p' | tail -1)
echo "restored luma against the sample's: $db dB"
awk -v d="$db" 'BEGIN { exit !(d + 0 >= 25) }' || fail "restored luma is $db dB from the sample's (expected at least 25)"
[[ $(frame_count colour.mkv) == $(frame_count cut.mkv) ]] || fail "frame count changed"
"$PYTHON" - colour.mkv.h5 "$FR_ROOT/models/default.h5" <<'PY'
import sys
import h5py, numpy as np
store = h5py.File(sys.argv[1], "r", swmr=True)
model = h5py.File(sys.argv[2], "r")
s = lambda v: v.decode() if isinstance(v, bytes) else str(v)
assert s(store.attrs["model_hash"]) == s(model.attrs["weights_sha256"]), "store's model is not default.h5"
c = store["chroma_smoothed"][()].astype(np.float32) - 128
assert store["batch_done"][()].all() and store["batch_smoothed"][()].all(), "unfinished batches"
away = np.abs(c).mean()
spread = c.reshape(-1, 2).std(0).mean()
print("default model on the sample: %d frames, mean |chroma| %.2f levels, spread %.2f" % (len(c), away, spread))
assert away > 2.0, "no colour (mean |chroma| %.2f)" % away
assert spread > 1.0, "one flat tint (spread %.2f)" % spread
PY
echo ok
