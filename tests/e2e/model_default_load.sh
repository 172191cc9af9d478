#!/usr/bin/env bash
# models/default.h5 (the embedded default colouriser) is a well-formed engine model file that
# loads into frnet's PyTorch MobileNetV2 U-Net: sane architecture attributes, a checksum that
# matches its tensors, every tensor used with the right shape, and plausible colour out; and
# the C engine's output for it matches that PyTorch twin within 1e-4 relative error.
source "$(dirname "$0")/../lib.sh"
model=$FR_ROOT/models/default.h5
[[ -f $model ]] || fail "no $model"
size=$(stat -c %s "$model")
((size < 20 * 1024 * 1024)) || fail "default.h5 is $size bytes, over 20 MB"
"$PYTHON" - "$model" "$FR_ROOT/tools" <<'PY'
import sys
import h5py, numpy as np, torch
sys.path.insert(0, sys.argv[2])
import frnet, colourlib as cl
torch.set_num_threads(2)
path = sys.argv[1]
with h5py.File(path, "r") as f:
    at = dict(f.attrs)
    tensors = {k: np.asarray(f["tensors"][k]) for k in f["tensors"]}
s = lambda v: v.decode() if isinstance(v, bytes) else str(v)
want = {"format": "filmrestore-model", "encoder": "mobilenetv2", "decoder": "wide"}
for k, v in want.items():
    assert s(at[k]) == v, (k, at[k])
assert int(at["format_version"]) == 1
assert int(at["n_taps"]) == 4, at["n_taps"]
assert 0 <= int(at["self_attention_block"]) < 4
assert int(at["n_classes"]) == 3 and int(at["blur"]) == 1 and int(at["last_cross"]) == 1
assert 16 <= int(at["decoder_nf"]) <= 512, at["decoder_nf"]
assert 8 <= int(at["render_factor"]) <= 64
assert list(at["y_range"]) == [-3.0, 3.0], at["y_range"]
for k in ("input_mean", "input_std", "output_mean", "output_std"):
    assert np.asarray(at[k]).shape == (3,), k
assert np.all(np.asarray(at["input_std"]) > 0) and np.all(np.asarray(at["output_std"]) > 0)
assert int(at["n_tensors"]) == len(tensors)
assert s(at["weights_sha256"]) == frnet.weights_sha256(tensors), "checksum does not match tensors"
assert all(np.isfinite(t).all() for t in tensors.values()), "non-finite weights"

# Loads into frnet's modules with every tensor used, and folds back to the same tensors.
model = cl.load_h5(path)
again = frnet.fold_tensors({k: v.detach() for k, v in model.state_dict().items()},
                           model.tensor_map(),
                           lambda p: dict((n + ".", m.eps) for n, m in model.named_modules()
                                          if isinstance(m, torch.nn.BatchNorm2d))[p])
assert sorted(again) == sorted(tensors), set(again) ^ set(tensors)
for k in tensors:
    assert again[k].shape == tensors[k].shape, (k, again[k].shape, tensors[k].shape)
    err = np.abs(again[k] - tensors[k]).max() / (np.abs(tensors[k]).max() + 1e-12)
    assert err < 1e-4, (k, err)
gflop = frnet.count_flops(model, 336) / 1e9
assert gflop < 49, "%.1f GFLOP a frame at 336 px: not 10x under DeOldify video's 490" % gflop

# Colour out: a smooth gray scene goes through DeOldify's path; the result keeps the source's
# luma, stays finite, and carries some chroma (a zeroed or broken model gives none).
g = (frnet.smooth_images(1, 200, seed=3)[0, 0].numpy() * 255).astype(np.uint8)
rgb = np.repeat(g[..., None], 3, -1)
out = cl.colourise(model, rgb, int(at["render_factor"]))
assert out.shape == rgb.shape
yuv = cl._rgb2yuv_u8(out).astype(float)
assert np.abs(yuv[..., 0] - g).mean() < 2.0, "luma not kept"
chroma = np.abs(yuv[..., 1:] - 128).mean()
assert chroma > 1.0, "no chroma (%.2f)" % chroma
print("default.h5: %s, nf %d, %.1f GFLOP at 336 px, %d tensors, chroma %.1f" % (
    s(at["name"]), int(at["decoder_nf"]), gflop, len(tensors), chroma))
PY
cd "$FR_TMP"
for size in 160 336; do
    "$PYTHON" "$FR_ROOT/tests/e2e/engine_ref.py" compare mobilenet "$model" "$model" \
        --bin "$FR_BIN" --size "$size" --frames 3 || fail "engine and PyTorch differ at $size px"
done
# a model file whose name is a variable-length string (h5py's default for str) is refused
# before libhdf5's global heap is read (fuzz_model crashed it there)
cp "$model" vlen.h5
"$PYTHON" -c "import h5py; f=h5py.File('vlen.h5','r+'); del f.attrs['name']; f.attrs['name']='tampered'"
ff -f lavfi -i testsrc2=size=64x48:rate=4 -t 1 -c:v ffv1 tiny.mkv
expect_error vlen-name "variable-length string" run tiny.mkv -o tiny-out.mkv --ranks 0 --model "$PWD/vlen.h5"
echo ok
