#!/usr/bin/env bash
# One run per store, and a clean stop. While a distributed run is held (its ranks stopped
# with SIGSTOP, so timing cannot matter), a second run on the same store is refused, naming
# the first run's pid (with -y too, which must not delete the store). Once the first run has
# stored a few batches, SIGTERM to its launcher ends the whole job: the launcher waits for
# it, no rank or mpirun is left running, the store opens without h5clear, no temporary
# output remains, and the same command resumes from the store.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=320x240:rate=24" -t 30 -c:v libx264 -pix_fmt yuv420p src.mkv
out=$FR_TMP/stopped.mkv # absolute: names this test's processes in their command lines
args=(run src.mkv -o "$out" --ranks 2 --render-factor 8 --batch 8 --model tint)
ranks() { for p in $(pgrep -f -- "$out"); do [[ $p != "$pid" && $(cat /proc/$p/comm 2>/dev/null) == filmrestore ]] && echo $p; done; true; }
batches_done() { "$PYTHON" -c 'import h5py, sys; print(int(h5py.File(sys.argv[1], "r", swmr=True)["batch_done"][()].sum()))' "$1" 2>/dev/null || echo 0; }
"$FR_BIN" "${args[@]}" 2>run1.log &
pid=$!
for _ in $(seq 300); do [[ -s $out.h5.lock && -e $out.h5 ]] && break; sleep 0.1; done
[[ -s $out.h5.lock ]] || { cat run1.log; fail "the first run took no lock"; }
held=$(ranks)
[[ $(echo $held | wc -w) == 3 ]] || fail "expected 3 ranks, found: $held"
kill -STOP $held
expect_error second-run "in use by another run (pid $pid on" "${args[@]}"
expect_error second-run-overwrite "in use by another run (pid $pid on" "${args[@]}" --render-factor 10 -y
[[ -e $out.h5 ]] || fail "the refused -y run removed the store"
# Let the first run store a few batches, then stop it.
kill -CONT $held
for _ in $(seq 300); do (( $(batches_done "$out.h5") >= 4 )) && break; sleep 0.05; done
kill -TERM "$pid"
start=$(date +%s)
set +e; wait "$pid"; rc=$?; set -e
echo "launcher exit $rc after $(( $(date +%s) - start )) s"
[[ $rc == 143 ]] || { cat run1.log; fail "launcher exit $rc after SIGTERM, expected 143"; }
grep -q "^filmrestore: stopped by SIGTERM" run1.log || { cat run1.log; fail "no 'stopped by SIGTERM' line"; }
sleep 0.5
if pgrep -f -- "$out" >/dev/null; then pgrep -af -- "$out"; fail "processes of the stopped job still run"; fi
[[ ! -e $out && -z $(ls -A "$FR_TMP" | grep partial || true) ]] || { ls -la; fail "output or temporary output left behind"; }
[[ ! -e $out.h5.lock ]] || fail "the lock file was left behind"
# Opening without SWMR fails on a store whose writer did not close it ("file is already open").
"$PYTHON" -c 'import h5py, sys; f = h5py.File(sys.argv[1], "r"); print("done flags", int(f["batch_done"][()].sum()))' "$out.h5" ||
    fail "the stopped run left the store unclosed"
grep -q "rerun to resume" run1.log || fail "the stop message does not say how to resume"
"$FR_BIN" "${args[@]}" 2>run2.log || { cat run2.log; fail "the rerun failed"; }
grep -q "resuming from" run2.log && ! grep -q "0 already done" run2.log || { cat run2.log; fail "the rerun did not resume"; }
[[ $(frame_count "$out") == 720 ]] || fail "the resumed output has $(frame_count "$out") frames, expected 720"
echo ok
