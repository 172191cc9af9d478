#!/usr/bin/env bash
# pipeline_isa: the same bytes whichever CPU generation each node rank has. Nodes report
# their instruction set before loading the model; every node then computes at the level
# they all have, recorded in the store's engine numerics. Simulated here with oneDNN's own
# cap (ONEDNN_MAX_CPU_ISA=SSE41) on some ranks: a job whose node ranks are mixed gives the
# output of a job whose ranks are all at the lowest level; a resume computes at the store's
# level, and is refused, naming it, on nodes that cannot run it.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=12" -t 1 -c:v ffv1 src.mkv
common=(src.mkv --model default --render-factor 4 --smoothing off)
attr() { $PYTHON -c "import h5py,sys; v=h5py.File(sys.argv[1],'r').attrs[sys.argv[2]]; print(v.decode() if isinstance(v,bytes) else v)" "$@"; }

"$FR_BIN" run "${common[@]}" -o native.mkv --ranks 2 2>log || { cat log; fail "native run failed"; }
native=$(attr native.mkv.h5 engine_numerics)
native=${native##* }
[[ $native == sse41 ]] && skip "this CPU's oneDNN level is sse41 already: no lower level to mix with"
ONEDNN_MAX_CPU_ISA=SSE41 "$FR_BIN" run "${common[@]}" -o low.mkv --ranks 2 2>log || { cat log; fail "capped run failed"; }
[[ $(attr low.mkv.h5 engine_numerics) == "cpu fp32 direct sse41" ]] || fail "capped store records '$(attr low.mkv.h5 engine_numerics)'"
cmp -s <(grep -v '^#' native.mkv.framemd5) <(grep -v '^#' low.mkv.framemd5) \
    && skip "oneDNN gives the same bytes at $native and sse41 here: nothing to tell apart"

# one node at the CPU's level, one capped: the job computes at sse41, the lower
mpirun --oversubscribe --bind-to none -np 2 "$FR_BIN" run "${common[@]}" -o mixed.mkv \
    : -np 1 env ONEDNN_MAX_CPU_ISA=SSE41 "$FR_BIN" run "${common[@]}" -o mixed.mkv 2>log \
    || { cat log; fail "mixed run failed"; }
grep -q "nodes compute at sse41 (the level they share)" log || { cat log; fail "the coordinator did not report the shared level"; }
cmp mixed.mkv low.mkv || fail "a job with mixed node ranks differs from one at their common level"

# a resume computes at the store's level: the native nodes run the generator again on the
# low store's segments (flags cleared, part files gone) at sse41, with the same bytes
rm -r low.mkv.h5.parts low.mkv
$PYTHON -c "import h5py; f=h5py.File('low.mkv.h5','r+'); f['batch_done'][...]=0; f['batch_smoothed'][...]=0"
"$FR_BIN" run "${common[@]}" -o low.mkv --ranks 2 2>log || { cat log; fail "native resume of the sse41 store failed"; }
grep -q "nodes compute at sse41 (the store's level)" log || { cat log; fail "the resume did not take the store's level"; }
grep -q "segments: 1 run, 0 already done" log || { cat log; fail "the resume did not recompute the segment"; }
cmp <(grep -v '^#' low.mkv.framemd5) <(grep -v '^#' mixed.mkv.framemd5) || fail "the resume at the store's level gave other bytes"
# and nodes below the store's level are refused, naming it
rm native.mkv
ONEDNN_MAX_CPU_ISA=SSE41 expect_error below-store "computed at $native" run "${common[@]}" -o native.mkv --ranks 2
[[ -e native.mkv ]] && fail "a refused resume wrote an output"
echo "pipeline_isa: ok (native $native, mixed with sse41)"
