#!/usr/bin/env bash
# The gray plane the model sees (render_gray: the nodes' renderer) matches DeOldify's
# pre-processing, PIL's BILINEAR resize to render_factor*16, within 2 levels
# and 0.05 levels on average, when shrinking and when enlarging.
source "$(dirname "$0")/../lib.sh"
for size in 720x480 214x160; do
    mkdir -p "$size"
    ff -f lavfi -i "testsrc2=size=$size:rate=24" -frames:v 3 -pix_fmt gray "$size/f_%03d.png"
    "$FR_BIN" render_gray "$size/f_%03d.png" -o "$size/gray.raw" --render-factor 21 2>log \
        || { cat log; fail "render_gray failed"; }
    "$PYTHON" - "$size" <<'PY'
import sys, h5py, numpy as np
from PIL import Image
d = sys.argv[1]
gray = np.fromfile(f"{d}/gray.raw", np.uint8).reshape(-1, 336, 336)
assert gray.shape[0] == 3, gray.shape
for i in range(3):
    ref = Image.open(f"{d}/f_{i + 1:03d}.png").convert("L").convert("RGB").resize((336, 336), Image.BILINEAR).convert("L")
    diff = np.abs(np.asarray(ref).astype(int) - gray[i].astype(int))
    print(f"{d} frame {i}: max {diff.max()}, mean {diff.mean():.4f}")
    assert diff.max() <= 2 and diff.mean() <= 0.05, (d, i, diff.max(), diff.mean())
PY
done
echo ok
