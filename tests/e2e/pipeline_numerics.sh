#!/usr/bin/env bash
# pipeline_numerics: the engine's numerics are part of the run's identity. A store made
# with direct convolutions is never resumed with Winograd (whose bytes differ); a bad
# --winograd or --precision is one clear line; the batched engine gives the same output
# on 1 and 2 node ranks.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=12" -t 2 -c:v ffv1 src.mkv
common=(src.mkv --model default --render-factor 4 --batch 6 --smoothing off)
run() { "$FR_BIN" run "${common[@]}" "$@"; }
run -o a.mkv --ranks 2 2>log || { cat log; fail "first run failed"; }
attr() { $PYTHON -c "import h5py,sys; v=h5py.File(sys.argv[1],'r').attrs[sys.argv[2]]; print(v.decode() if isinstance(v,bytes) else v)" "$@"; }
[[ $(attr a.mkv.h5 engine_numerics) == "cpu fp32 direct "* ]] || fail "store records '$(attr a.mkv.h5 engine_numerics)', not 'cpu fp32 direct ISA'"
rm a.mkv
expect_error winograd-resume "engine numerics" run "${common[@]}" -o a.mkv --ranks 2 --winograd on
expect_error winograd-value "--winograd: 'maybe' is not on or off" run "${common[@]}" -o b.mkv --ranks 2 --winograd maybe
expect_error precision-cpu "computes in fp32 or bf16 (fp16 needs --backend cuda)" run "${common[@]}" -o b.mkv --ranks 2 --precision fp16
[[ ! -e a.mkv && ! -e b.mkv ]] || fail "a refused run wrote an output"
# the refused runs left the store as it was: the right settings resume it
run -o a.mkv --ranks 2 2>log || { cat log; fail "resume failed"; }
grep -q "segments: 0 run" log || { cat log; fail "the direct store was not resumed"; }
# Winograd under its own store: a valid run, recorded as such
run -o w.mkv --ranks 1 --winograd on 2>log || { cat log; fail "winograd run failed"; }
[[ $(attr w.mkv.h5 engine_numerics) == "cpu fp32 winograd "* ]] || fail "winograd store records '$(attr w.mkv.h5 engine_numerics)'"
# one node running batches of 6 and two nodes sharing them give the same bytes
run -o one.mkv --ranks 1 2>log || { cat log; fail "1-rank run failed"; }
cmp a.mkv one.mkv || fail "1 and 2 node ranks give different output"
echo "pipeline_numerics: ok"
