#!/usr/bin/env bash
# filmrestore keeps chroma at render size and upsamples it when it encodes.
# DeOldify instead resizes the model's RGB to full size, converts to YUV, takes
# U and V, and puts back the original Y (filters.py). This checks that the two
# paths agree within rounding, on a still image with the deterministic tint
# generator standing in for the network; it also checks colorize-image's
# folder mode.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=320x240:rate=24" -frames:v 1 -pix_fmt gray src.png
"$FR_BIN" colorize-image src.png -o out.png --model tint --render-factor 8 2>log || { cat log; fail "colorize-image failed"; }
"$PYTHON" - <<'PY'
import numpy as np
from PIL import Image
src = np.asarray(Image.open("src.png").convert("L")).astype(np.float64)
out = np.asarray(Image.open("out.png").convert("RGB")).astype(np.float64)
h, w = src.shape
# the model's input (DeOldify: gray, resized with PIL's BILINEAR) and the tint generator's chroma
g = np.asarray(Image.open("src.png").convert("L").convert("RGB").resize((128, 128), Image.BILINEAR).convert("L")).astype(np.int64)
cb, cr = 160 - g // 4, 96 + g // 4
# the RGB a network would have produced for that chroma, as DeOldify casts it (uint8)
rgb = np.stack([g + 1.402 * (cr - 128), g - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), g + 1.772 * (cb - 128)], -1)
rgb = np.clip(np.round(rgb), 0, 255).astype(np.uint8)
# DeOldify's post-processing (filters.py): resize RGB, OpenCV's RGB2YUV, original Y, YUV2RGB
big = np.asarray(Image.fromarray(rgb).resize((w, h), Image.BILINEAR)).astype(np.float64)
y = 0.299 * big[..., 0] + 0.587 * big[..., 1] + 0.114 * big[..., 2]
u, v = 0.492 * (big[..., 2] - y), 0.877 * (big[..., 0] - y)
ref = np.clip(np.round(np.stack([src + 1.140 * v, src - 0.395 * u - 0.581 * v, src + 2.032 * u], -1)), 0, 255)
d = np.abs(ref - out)
print(f"max {d.max():.0f}, mean {d.mean():.3f}, 99th percentile {np.percentile(d, 99):.0f}")
assert d.mean() <= 1.0 and np.percentile(d, 99) <= 3 and d.max() <= 16, "differs from DeOldify's path beyond rounding"
assert np.abs(out[..., 0] - out[..., 2]).mean() > 5, "no colour at all"
PY
mkdir -p in && cp src.png in/a.png && cp src.png in/b.png
"$FR_BIN" colorize-image in -o outdir --model tint --render-factor 8 2>log || { cat log; fail "folder mode failed"; }
cmp outdir/a.png out.png && cmp outdir/b.png out.png || fail "folder mode output differs"
echo ok
