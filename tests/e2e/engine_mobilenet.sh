#!/usr/bin/env bash
# engine_mobilenet: the MobileNetV2 U-Net (the embedded default model's architecture),
# random calibrated weights exported by tools/frnet.py, through the engine against its
# PyTorch twin at render factors 10 and 21 (relative error <= 1e-4); byte-identical output
# on 1 and 2 threads and for a frame alone or inside a batch of 3; and damaged model files
# refused with a one-line message naming the tensor or attribute.
set -euo pipefail
$PYTHON -c "import torch, h5py" 2>/dev/null || { echo "python3 torch/h5py missing"; exit 77; }
ref="$PYTHON $FR_ROOT/tests/e2e/engine_ref.py"
cd "$FR_TMP"
$ref make mobilenet mob
$ref compare mobilenet mob.pt mob.h5 --bin "$FR_BIN" --size 160 --frames 3
$ref compare mobilenet mob.pt mob.h5 --bin "$FR_BIN" --size 336 --frames 2

# determinism: threads, and batch composition
$ref inputs mobilenet in3.f32 --size 160 --frames 3
$ref inputs mobilenet in1.f32 --size 160 --frames 3 --first 1 --count 1
fwd() { "$FR_BIN" engine_forward --size 160 "$@"; }
fwd --model mob.h5 --input in3.f32 --output t1.f32 --threads 1
fwd --model mob.h5 --input in3.f32 --output t2.f32 --threads 2
cmp t1.f32 t2.f32 || { echo "1 and 2 threads differ"; exit 1; }
fwd --model mob.h5 --input in1.f32 --output alone.f32 --threads 2
frame=$((3 * 160 * 160 * 4))
cmp alone.f32 <(tail -c +$((frame + 1)) t2.f32 | head -c $frame) || { echo "frame alone != frame in batch"; exit 1; }
[[ $(od -An -tf4 -N64 t1.f32 | tr -d ' 0.\n-') != "" ]] || { echo "output is all zero"; exit 1; }

# damaged files: exit 1, one line, naming what is wrong
check_bad() { # how, expected text
    local victim
    victim=$($ref corrupt mob.h5 bad.h5 "$1")
    set +e
    fwd --model bad.h5 --input in1.f32 --output /dev/null 2>err.txt
    local rc=$?
    set -e
    local want=${2//VICTIM/$victim}
    if [[ $rc != 1 || $(wc -l <err.txt) != 1 ]] || ! grep -qF -- "$want" err.txt; then
        echo "corrupt $1: rc $rc, wanted one line with '$want', got:"; cat err.txt; exit 1
    fi
    echo "corrupt $1: $(cat err.txt)"
}
check_bad tamper "weights_sha256"
check_bad missing "tensor 'VICTIM' is missing"
check_bad shape "VICTIM"
check_bad extra "unexpected tensor 'dec.block1.stray.weight'"
check_bad encoder "attribute 'encoder' = 'resnet50'"
check_bad truncate "bad.h5"
echo "engine_mobilenet: ok"
