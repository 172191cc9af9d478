#!/usr/bin/env bash
# engine_backend: --backend and --precision on a machine without a usable GPU (the
# developers' and CI's): --backend cuda is one error line and a non-zero exit, never a
# silent fallback; auto (and no --backend) runs on the cpu after one log line saying why;
# fp16 on the cpu, and bf16 where oneDNN has no bf16 kernels, are refused in one line; a
# whole run with --backend cuda is refused before it writes anything. On a GPU machine
# this script skips (bench/gpu-check is the test there).
source "$(dirname "$0")/../lib.sh"
model=$FR_ROOT/models/default.h5
fwd() { "$FR_BIN" engine_forward --model "$model" --size 64 "$@"; }
if fwd --backend cuda >/dev/null 2>&1; then
    skip "a CUDA GPU is usable here: bench/gpu-check tests it"
fi
fwd --backend cuda >out 2>err && fail "--backend cuda succeeded without a GPU"
[[ $(wc -l <err) == 1 ]] || { cat err; fail "--backend cuda: not one line"; }
grep -qE "^filmrestore: backend 'cuda': (no usable GPU here|not built)" err || { cat err; fail "--backend cuda: wrong message"; }
fwd --backend auto --stats >out 2>err || { cat err; fail "--backend auto failed"; }
grep -q '"numerics":"cpu fp32 direct [a-z0-9_]*"' out || { cat out; fail "--backend auto did not run on the cpu"; }
[[ $(grep -c "backend auto: no usable GPU" err) == 1 && $(wc -l <err) == 1 ]] ||
    { cat err; fail "--backend auto: not exactly one log line"; }
expect_error cpu-fp16 "computes in fp32 or bf16" engine_forward --model "$model" --size 64 --backend cpu --precision fp16
expect_error bad-precision "precision 'fp8': unknown" engine_forward --model "$model" --size 64 --precision fp8
expect_error bad-backend "backend 'tpu': unknown" engine_forward --model "$model" --size 64 --backend tpu
if ! grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo || [[ ${ONEDNN_MAX_CPU_ISA:-} == AVX2 ]]; then
    expect_error cpu-bf16 "bf16 needs avx512_core_bf16 or avx512_core_amx" engine_forward --model "$model" --size 64 \
        --backend cpu --precision bf16
fi
# capped below bf16 on any CPU: refused
ONEDNN_MAX_CPU_ISA=AVX2 expect_error cpu-bf16-avx2 "ISA is avx2; bf16 needs" engine_forward --model "$model" \
    --size 64 --backend cpu --precision bf16
ff -f lavfi -i "testsrc2=size=64x48:rate=12" -t 0.5 -c:v ffv1 src.mkv
expect_error run-cuda "backend 'cuda'" run src.mkv -o out.mkv --model default --render-factor 4 --ranks 1 --backend cuda
[[ ! -e out.mkv ]] || fail "a refused run wrote an output"
# a run without --backend is auto: the cpu, after one line
"$FR_BIN" run src.mkv -o r0.mkv --model default --render-factor 4 --ranks 0 2>err || { cat err; fail "run on auto failed"; }
[[ $(grep -c "backend auto: no usable GPU" err) == 1 ]] || { cat err; fail "run on auto: not one log line"; }
expect_error run-precision "--precision: 'fp64' is not fp32, fp16 or bf16" run src.mkv -o out.mkv --precision fp64
echo "engine_backend: ok"
