#!/usr/bin/env bash
# engine_deoldify: DeOldify's three generator configurations, with random calibrated
# weights saved as fastai checkpoints in DeOldify's own key layout (tools/frnet.py),
# converted by tools/convert-deoldify and run by the engine, against the PyTorch reference:
# relative error <= 1e-4 at render factor 10 for all three, and 21 for the artistic one.
# Stable and video share one architecture: both names are converted from one checkpoint,
# must carry the same weights digest, and run to the same bytes.
set -euo pipefail
$PYTHON -c "import torch, h5py" 2>/dev/null || { echo "python3 torch/h5py missing"; exit 77; }
ref="$PYTHON $FR_ROOT/tests/e2e/engine_ref.py"
conv="$FR_ROOT/tools/convert-deoldify"
cd "$FR_TMP"
attr() { $PYTHON -c "import h5py,sys; v=h5py.File(sys.argv[1],'r').attrs[sys.argv[2]]; print(v.decode() if isinstance(v,bytes) else v)" "$@"; }

# artistic: DynamicUnetDeep, ResNet-34
$ref make artistic ColorizeArtistic_gen.pth --calib-size 64 --steps 3
$conv ColorizeArtistic_gen.pth artistic.h5
[[ $(attr artistic.h5 encoder) == resnet34 && $(attr artistic.h5 decoder) == deep && $(attr artistic.h5 render_factor) == 35 ]]
$ref compare artistic ColorizeArtistic_gen.pth artistic.h5 --bin "$FR_BIN" --size 160 --frames 2
$ref compare artistic ColorizeArtistic_gen.pth artistic.h5 --bin "$FR_BIN" --size 336 --frames 1
rm -f artistic.h5

# video and stable: DynamicUnetWide, ResNet-101
$ref make video wide.pth --calib-size 64 --steps 3
ln -s wide.pth ColorizeVideo_gen.pth
ln -s wide.pth ColorizeStable_gen.pth
$conv ColorizeVideo_gen.pth video.h5
$conv ColorizeStable_gen.pth stable.h5
[[ $(attr video.h5 name) == deoldify-video && $(attr video.h5 render_factor) == 21 ]]
[[ $(attr stable.h5 name) == deoldify-stable && $(attr stable.h5 render_factor) == 35 ]]
[[ $(attr video.h5 weights_sha256) == $(attr stable.h5 weights_sha256) ]]
$ref compare video wide.pth video.h5 --bin "$FR_BIN" --size 160 --frames 1
$ref inputs video in.f32 --size 160 --frames 2 --first 1 --count 1
"$FR_BIN" engine_forward --model video.h5 --input in.f32 --output v.f32 --size 160 --threads 2
"$FR_BIN" engine_forward --model stable.h5 --input in.f32 --output s.f32 --size 160 --threads 2
cmp v.f32 s.f32  # stable = video's function: the same digest, the same bytes

# the converter refuses what it cannot convert, in one line
set +e
echo "not a checkpoint" > junk.pth
$conv junk.pth junk.h5 2>err.txt; rc=$?
set -e
[[ $rc == 1 ]] && grep -q "cannot load as a PyTorch checkpoint" err.txt || { cat err.txt; exit 1; }
set +e
$conv wide.pth x.h5 --arch artistic 2>err.txt; rc=$?
set -e
[[ $rc == 1 ]] && grep -q "ResNet-101 wide U-Net, not 'artistic'" err.txt || { cat err.txt; exit 1; }
echo "engine_deoldify: ok"
