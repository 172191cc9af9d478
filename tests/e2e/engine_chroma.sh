#!/usr/bin/env bash
# engine_chroma: the engine-backed generator inside `filmrestore run`: the raw chroma the
# store holds must be DeOldify's post-processing of the PyTorch model's output on the
# gray frames the nodes render (filmrestore render_gray) (normalise, network, de-normalise, x255, clamp, round, BT.601
# Cb/Cr), within rounding; and the store records the model's name and weights digest.
set -euo pipefail
$PYTHON -c "import torch, h5py" 2>/dev/null || { echo "python3 torch/h5py missing"; exit 77; }
cd "$FR_TMP"
$PYTHON "$FR_ROOT/tests/e2e/engine_ref.py" make mobilenet mob
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=192x144:rate=12" -t 0.5 -pix_fmt yuv420p clip.mp4
"$FR_BIN" run clip.mp4 -o out.mkv --model mob.h5 --render-factor 10 --ranks 1 --threads 2 \
    --smoothing off --store out.h5
"$FR_BIN" render_gray clip.mp4 -o gray.raw --render-factor 10
$PYTHON - <<'PY'
import sys, h5py, numpy as np, torch
sys.path.insert(0, sys.argv[0] and __import__("os").environ["FR_ROOT"] + "/tests/e2e")
import engine_ref, frnet
torch.set_num_threads(2)
m = engine_ref.load("mobilenet", "mob.pt")
s = m.settings
with h5py.File("out.h5", "r") as f:
    chroma = f["chroma_raw"][...]
    name, digest = f.attrs["model_name"], f.attrs["model_hash"]
gray = np.fromfile("gray.raw", np.uint8).reshape(-1, 160, 160)  # what the nodes' generator saw
with h5py.File("mob.h5", "r") as f:
    want_name, want_digest = f.attrs["name"], f.attrs["weights_sha256"]
dec = lambda v: v.decode() if isinstance(v, bytes) else str(v)
assert dec(name) == dec(want_name) and dec(digest) == dec(want_digest), (name, digest)
x = frnet.normalise(torch.from_numpy(gray).float().unsqueeze(1) / 255, s["input_mean"], s["input_std"])
with torch.no_grad():
    y = m(x).numpy().astype(np.float64)
mean = np.array(s["output_mean"]).reshape(1, 3, 1, 1)
std = np.array(s["output_std"]).reshape(1, 3, 1, 1)
rgb = np.clip(np.floor((y * std + mean) * 255 + 0.5), 0, 255)
r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
cb = np.clip(np.floor(128 - 0.168736 * r - 0.331264 * g + 0.5 * b + 0.5), 0, 255)
cr = np.clip(np.floor(128 + 0.5 * r - 0.418688 * g - 0.081312 * b + 0.5), 0, 255)
ref = np.stack([cb, cr], axis=-1)
d = np.abs(ref - chroma.astype(np.float64))
exact = float((d == 0).mean())
print("frames %d, chroma exact %.4f, max diff %d, spread cb %.1f" % (len(gray), exact, d.max(), cb.std()))
assert chroma.shape == ref.shape and d.max() <= 2 and exact >= 0.99, "chroma differs from the reference"
assert cb.std() > 0.5, "degenerate chroma: the comparison would prove nothing"
PY
echo "engine_chroma: ok"
