#!/usr/bin/env bash
# engine_isa_batch: no layer of any model runs on a oneDNN reference kernel, on any ISA
# this host can emulate, and a frame's bytes do not depend on its batch or thread count.
# Plans (and prepares, running nothing) the default model and DeOldify's deep (artistic, ResNet-34) and wide (video, ResNet-101) U-Nets at their
# render sizes, for batches of 1 and 8 frames, under ONEDNN_MAX_CPU_ISA = AVX2, and
# AVX512_CORE and AVX512_CORE_AMX where the CPU has them. Two independent checks:
# FR_ENGINE_STRICT=1 makes the engine refuse any reference kernel, and oneDNN's own
# verbose log (ONEDNN_VERBOSE=2 names every primitive created) must name none.
# Then, on the host's own ISA and on AVX2: 5 frames through each model in batches of 1
# on 1 thread, and in batches of 4 (+ the remaining 1) on 2 threads, give the same bytes.
set -euo pipefail
$PYTHON -c "import torch, h5py" 2>/dev/null || { echo "python3 torch/h5py missing"; exit 77; }
ref="$PYTHON $FR_ROOT/tests/e2e/engine_ref.py"
cd "$FR_TMP"
$ref make artistic art.pth --calib-size 32 --steps 1 >/dev/null
$ref make video wide.pth --calib-size 32 --steps 1 >/dev/null
"$FR_ROOT/tools/convert-deoldify" art.pth artistic.h5 --arch artistic >/dev/null
"$FR_ROOT/tools/convert-deoldify" wide.pth video.h5 --arch video >/dev/null
rm -f art.pth wide.pth

isas=(AVX2)
grep -qw avx512f /proc/cpuinfo && isas+=(AVX512_CORE)
grep -qw amx_tile /proc/cpuinfo && isas+=(AVX512_CORE_AMX)
echo "ISAs: ${isas[*]}"
export FR_ENGINE_STRICT=1 FR_ENGINE_MEMORY_MB=65536 FILMRESTORE_LOG=debug
planned=0
for isa in "${isas[@]}"; do
    for m in "$FR_ROOT/models/default.h5:336" "artistic.h5:560" "video.h5:336"; do
        model=${m%:*} size=${m#*:}
        for batch in 1 8; do
            log=plan.log
            if ! ONEDNN_MAX_CPU_ISA=$isa ONEDNN_VERBOSE=2 "$FR_BIN" engine_forward --model "$model" --size "$size" \
                    --batch $batch --threads 2 --plan-only --stats >"$log" 2>&1; then
                echo "FAIL: $(basename "$model") at $size, batch $batch, $isa:"; grep -v '^onednn_verbose\|^dnnl_verbose' "$log" | tail -5
                exit 1
            fi
            if grep -E '^(onednn|dnnl)_verbose,create' "$log" | grep -E ',convolution,[^,]*ref' >/dev/null; then
                echo "FAIL: oneDNN created a reference convolution for $(basename "$model") at $size, batch $batch, $isa:"
                grep -E '^(onednn|dnnl)_verbose,create' "$log" | grep -E ',convolution,[^,]*ref' | head -3
                exit 1
            fi
            got=$(grep -E '^(onednn|dnnl)_verbose,create' "$log" | grep -c ',convolution,' || true)
            ((got > 0)) || { echo "FAIL: no convolution was created: the check would prove nothing"; exit 1; }
            eff=$(grep -o '"isa":"[a-z0-9_]*"' "$log" | cut -d'"' -f4)
            split=$(grep -c ', split ' "$log" || true)
            echo "$isa $(basename "$model") ${size}px batch $batch: $got convolutions, $split with a split tail (oneDNN: $eff)"
            planned=$((planned + 1))
        done
    done
done
unset FR_ENGINE_MEMORY_MB FILMRESTORE_LOG
for isa in "" AVX2; do
    for m in "$FR_ROOT/models/default.h5:160" "artistic.h5:160" "video.h5:160"; do
        model=${m%:*} size=${m#*:}
        ONEDNN_MAX_CPU_ISA=$isa "$FR_BIN" engine_forward --model "$model" --size "$size" --frames 5 --batch 1 \
            --threads 1 --output one.f32
        ONEDNN_MAX_CPU_ISA=$isa "$FR_BIN" engine_forward --model "$model" --size "$size" --frames 5 --batch 4 \
            --threads 2 --output four.f32
        cmp one.f32 four.f32 || { echo "FAIL: $(basename "$model") ${isa:-native}: batch 4 x 2 threads differs from batch 1 x 1 thread"; exit 1; }
        $PYTHON -c "import numpy as n,sys; a=n.fromfile('one.f32',n.float32).reshape(5,-1); sys.exit(0 if (a.std(axis=1)>0).all() and not (a[0]==a[1]).all() else 1)" ||
            { echo "FAIL: $(basename "$model"): flat or repeated output, the comparison proves nothing"; exit 1; }
        echo "${isa:-native} $(basename "$model") ${size}px: batch 1 x 1 thread == batch 4 x 2 threads, byte for byte"
    done
done
echo "engine_isa_batch: $planned plans, no reference kernel; batch- and thread-independent bytes"
