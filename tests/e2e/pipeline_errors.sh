#!/usr/bin/env bash
# Distributed runs that must refuse: a store from other settings, a model that
# will not load, a missing input. One line each, non-zero exit, no output file.
# Then --overwrite replaces the other run's store.
source "$(dirname "$0")/../lib.sh"
make_cuts_clip src.mkv
"$FR_BIN" run src.mkv -o out.mkv --ranks 2 --model tint --render-factor 8 --batch 8 2>log || { cat log; fail "first run failed"; }
rm out.mkv
expect_error store-settings "render factor is 8, this run.s is 10 (use another --store, or --overwrite to replace it)" run src.mkv -o out.mkv --ranks 2 --model tint --render-factor 10 --batch 8
expect_error store-model "model" run src.mkv -o out.mkv --ranks 2 --model gray --render-factor 8 --batch 8
expect_error store-batch "batch size" run src.mkv -o out.mkv --ranks 2 --model tint --render-factor 8 --batch 4
head -c 5000 /dev/urandom > bad.h5
expect_error bad-model "bad.h5" run src.mkv -o other.mkv --ranks 2 --model bad.h5
expect_error missing-model "nope.h5" run src.mkv -o other.mkv --ranks 2 --model nope.h5
# a model file that overflows libhdf5's attribute decoding (from fuzz_model): read in a
# child before any rank starts, refused in one line, no output and no store
cp "$FR_ROOT/tests/data/model-hdf5-crash.h5" crash.h5
expect_error hdf5-crash "crash.h5" run src.mkv -o crash.mkv --ranks 2 --model crash.h5
expect_error hdf5-crash-in-process "crash.h5" run src.mkv -o crash.mkv --ranks 0 --model crash.h5
ls crash.mkv* .crash.mkv* 2>/dev/null && fail "a refused model left an output or a store"
expect_error missing-input "no such file" run nothing.mkv -o other.mkv --ranks 2 --model tint
[[ ! -e out.mkv && ! -e other.mkv ]] || fail "an output file was written"
# The store is untouched by the refused runs: the right settings still resume and finish.
"$FR_BIN" run src.mkv -o out.mkv --ranks 2 --model tint --render-factor 8 --batch 8 2>log || { cat log; fail "resume failed"; }
grep -q "segments: 0 run, 3 already done" log || { cat log; fail "refused runs disturbed the store"; }
# --overwrite (-y) replaces a store left by other settings and starts afresh.
"$FR_BIN" run src.mkv -o out.mkv --ranks 2 --model tint --render-factor 10 --batch 8 -y 2>log || { cat log; fail "--overwrite run failed"; }
grep -q "replacing out.mkv.h5 (--overwrite): store out.mkv.h5 belongs to another run" log &&
    grep -q "segments: 3 run, 0 already done" log || { cat log; fail "--overwrite did not start afresh"; }
echo ok
