#!/usr/bin/env bash
# The gray plane the model sees (the store's /gray) matches DeOldify's
# pre-processing, PIL's BILINEAR resize to render_factor*16, within 2 levels
# and 0.05 levels on average, when shrinking and when enlarging.
source "$(dirname "$0")/../lib.sh"
for size in 720x480 214x160; do
    mkdir -p "$size"
    ff -f lavfi -i "testsrc2=size=$size:rate=24" -frames:v 3 -pix_fmt gray "$size/f_%03d.png"
    "$FR_BIN" run "$size/f_%03d.png" -o "$size/o.mkv" --ranks 1 --model gray --render-factor 21 --smoothing off 2>log \
        || { cat log; fail "run failed"; }
    "$PYTHON" - "$size" <<'PY'
import sys, h5py, numpy as np
from PIL import Image
d = sys.argv[1]
gray = h5py.File(f"{d}/o.mkv.h5", "r")["gray"][()]
for i in range(3):
    ref = Image.open(f"{d}/f_{i + 1:03d}.png").convert("L").convert("RGB").resize((336, 336), Image.BILINEAR).convert("L")
    diff = np.abs(np.asarray(ref).astype(int) - gray[i].astype(int))
    print(f"{d} frame {i}: max {diff.max()}, mean {diff.mean():.4f}")
    assert diff.max() <= 2 and diff.mean() <= 0.05, (d, i, diff.max(), diff.mean())
PY
done
echo ok
