#!/usr/bin/env bash
# tests/fuzz/make_corpus.sh: (re)writes the seed corpora in tests/fuzz/corpus/. Needs
# ffmpeg, python3 with h5py and numpy, and a built build/filmrestore. The seeds are small
# on purpose (libFuzzer's input size follows them) and include the crafted files behind
# issue 15's items 5 (model loader) and 6 (store).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD/tests/fuzz/corpus
mkdir -p "$root"/{probe,model,store,wire}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ff() { ffmpeg -nostdin -v error -y -fflags +bitexact "$@"; }

# probe: one tiny clip per container and codec the tool meets.
src="testsrc2=size=32x24:rate=5"
ff -f lavfi -i "$src" -t 1 -c:v libx264 -pix_fmt yuv420p -flags +bitexact "$root/probe/h264.mkv"
ff -f lavfi -i "$src" -t 1 -c:v libx264 -pix_fmt yuv420p -flags +bitexact "$root/probe/h264.mp4"
ff -f lavfi -i "$src" -t 1 -c:v mjpeg -flags +bitexact "$root/probe/mjpeg.avi"
ff -f lavfi -i "$src" -t 1 -c:v ffv1 -flags +bitexact "$root/probe/ffv1.mkv"
ff -f lavfi -i "$src" -t 1 -c:v prores_ks -flags +bitexact "$root/probe/prores.mov"
ff -f lavfi -i "$src" -frames:v 1 -flags +bitexact "$root/probe/frame.png"
ff -f lavfi -i "$src" -t 1 -pix_fmt yuv420p "$root/probe/raw.y4m"

# model: a tiny sound model, and the crafted ones.
/usr/bin/python3 - "$root/model" <<'PY'
import hashlib, struct, sys, h5py, numpy as np
out = sys.argv[1]
def digest(tensors):
    h = hashlib.sha256()
    for name in sorted(tensors):
        a = tensors[name]
        h.update(name.encode() + b"\0" + struct.pack("<I", a.ndim) + b"".join(struct.pack("<Q", d) for d in a.shape))
        h.update(a.astype("<f4").tobytes())
    return h.hexdigest()
def model(path, tensors, tweak=None):
    with h5py.File(path, "w") as f:
        attrs = dict(format="filmrestore-model", format_version=1, name="tiny", encoder="mobilenetv2",
                     decoder="wide", nf_factor=1.0, decoder_nf=0, n_taps=4, self_attention_block=1, blur=0,
                     last_cross=1, render_factor=4, n_classes=3, n_tensors=len(tensors), y_range=[-3.0, 3.0],
                     input_mean=[0.5] * 3, input_std=[0.25] * 3, output_mean=[0.5] * 3, output_std=[0.25] * 3,
                     weights_sha256=digest(tensors))
        for k, v in attrs.items():  # strings fixed-length, as a model file must hold them
            f.attrs[k] = np.bytes_(v) if isinstance(v, str) else v
        g = f.create_group("tensors")
        for k, v in tensors.items():
            g.create_dataset(k, data=v.astype("<f4"))
        if tweak:
            tweak(f)
base = {"w": np.arange(6, dtype="f4").reshape(2, 3), "b": np.ones(3, dtype="f4")}
model(f"{out}/sound.h5", base)
model(f"{out}/name_array.h5", base, lambda f: f.attrs.__setitem__("name", np.array([b"tiny"] * 12)))
model(f"{out}/name_vlen_array.h5", base, lambda f: f.attrs.create("name", ["tiny"] * 12, dtype=h5py.string_dtype()))
def huge(f):
    del f["tensors/w"]
    f["tensors"].create_dataset("w", shape=(4, 2**60 + 1), dtype="<f4", chunks=(1, 1024))
model(f"{out}/huge_dims.h5", base, huge)
def claims(f):
    del f["tensors/w"]
    f["tensors"].create_dataset("w", shape=(16384, 16384), dtype="<f4", chunks=(64, 64), compression="gzip")
model(f"{out}/claims_gigabyte.h5", base, claims)
PY

# store: a real store of a 6-frame run, and the crafted ones.
ff -f lavfi -i "$src" -t 1.2 -c:v libx264 -pix_fmt yuv420p "$tmp/clip.mkv"
(cd "$tmp" && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    "$OLDPWD/build/filmrestore" run clip.mkv -o out.mkv --ranks 1 --model tint --render-factor 4 --batch 4)
cp "$tmp/out.mkv.h5" "$root/store/sound.h5"
/usr/bin/python3 - "$root/store" <<'PY'
import shutil, sys, h5py, numpy as np
out = sys.argv[1]
def variant(name, tweak):
    shutil.copy(f"{out}/sound.h5", f"{out}/{name}.h5")
    with h5py.File(f"{out}/{name}.h5", "r+") as f:
        tweak(f)
def bigger(f):
    n = f["chroma_smoothed"].shape[0]
    del f["chroma_smoothed"]
    f.create_dataset("chroma_smoothed", data=np.zeros((n, 128, 128, 2), "u1"), maxshape=(None, 128, 128, 2), chunks=(1, 128, 128, 2))
variant("bigger_smoothed", bigger)
def rank5(f):
    del f["gray"]
    f.create_dataset("gray", data=np.zeros((2, 64, 64, 1, 1), "u1"))
variant("gray_rank5", rank5)
variant("path_array", lambda f: f.attrs.create("source_path", ["clip.mkv"] * 12, dtype=h5py.string_dtype()))
PY

# wire: READY, WORK (a segment, and a guided shot with its chroma given), RESULT, FAIL, STOP.
/usr/bin/python3 - "$root/wire" <<'PY'
import struct, sys
out = sys.argv[1]
def msg(t, job=0, batch=0, start=0, count=0, size=0, first=0, n=0, payload=b""):
    return struct.pack("<iiqqiiii", t, job, batch, start, count, size, first, n) + payload
seeds = {
    "ready": msg(1, payload=b"tiny\n" + b"ab" * 32 + b"\ncpu fp32 direct\nnode-1.cluster\0"),
    "ready_builtin": msg(1, payload=b"tint\n\nexact\nlocalhost\0"),
    # SEGMENT: head (nref, flags, pkt_len), pts, [at, reference chroma], packets (pts, dts, duration, flags, size, data)
    "work_segment": msg(2, 4, 3, 45, 4, 16, 1, 2, struct.pack("<iiq", 0, 0, 40) + struct.pack("<4q", 45, 46, 47, 48)
                        + struct.pack("<qqqii", 45, 45, 1, 1, 8) + bytes(8)),
    "work_segment_guided": msg(2, 4, 1, 40, 2, 16, 0, 2, struct.pack("<iiq", 1, 1, 32) + struct.pack("<2q", 40, 41)
                               + struct.pack("<i", 1) + bytes(512) + bytes(2 * 512) + struct.pack("<qqqii", 40, 40, 1, 1, 0)),
    "result": msg(3, 4, 3, 48, 4, 16, 0, 4, bytes(4 * 528)),
    "fail": msg(5, payload=b"cannot load the model"),
    "stop": msg(4),
}
for k, v in seeds.items():
    open(f"{out}/{k}", "wb").write(v)
PY
du -sh "$root"/*
