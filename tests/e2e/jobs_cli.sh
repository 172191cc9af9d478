#!/usr/bin/env bash
# The job service with the project's own client: submit (flags and a spec
# file), watch to the end, status, list, cancel; each job's output is
# byte-identical to the same `filmrestore run` done directly, and its log is
# the file that status names. Two jobs run side by side, never on one store.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
ff -f lavfi -i testsrc2=size=96x64:rate=24 -f lavfi -i sine=frequency=300:sample_rate=48000 -t 2 \
   -c:v libx264 -pix_fmt yuv420p -c:a flac clip.mkv
mkdir -p media
run_args=(--model tint --render-factor 4 --batch 8 --ranks 1)
"$FR_BIN" run clip.mkv -o ref.mkv "${run_args[@]}" 2>ref.log || { cat ref.log; fail "reference run failed"; }

# no --allow-root: refused with one line
set +e; "$FRD" --spool spool0 2>err; rc=$?; set -e
[[ $rc == 2 ]] && grep -q -- '--allow-root' err || { cat err; fail "a daemon without --allow-root started (exit $rc)"; }

start_daemon "$PWD/spool" --allow-root "$PWD"

# 1. run-like flags, relative paths (made absolute by the client)
id1=$("$FR_BIN" submit clip.mkv -o media/a.mkv "${run_args[@]}")
[[ $id1 =~ ^j[0-9]{6}$ ]] || fail "submit printed '$id1', not a job id"
"$FR_BIN" watch "$id1" 2>watch.log || { cat watch.log; fail "watch $id1 did not exit 0"; }
grep -q "done" watch.log || { cat watch.log; fail "watch showed no final state"; }
[[ $(job_field "$id1" state) == done ]] || fail "$id1 not done"
log=$(job_field "$id1" log)
[[ $log == $PWD/spool/logs/$id1.log && -s $log ]] || fail "status names no log file ($log)"
grep -q "wrote $PWD/media/a.mkv" "$log" || { cat "$log"; fail "the log lacks the run's lines"; }
cmp ref.mkv media/a.mkv || fail "the job's output differs from filmrestore run's"

# 2. a spec file, with a shot-detector option and a priority
cat > spec.json <<JSON
{"input": "clip.mkv", "output": "media/b.mkv", "model": "tint", "render-factor": 4, "batch": 8,
 "ranks": 1, "cut-threshold": 0.5, "priority": 5}
JSON
id2=$("$FR_BIN" submit spec.json)
"$FR_BIN" watch "$id2" 2>/dev/null || fail "watch $id2 did not exit 0"
[[ $(job_field "$id2" priority) == 5 ]] || fail "priority lost"
"$FR_BIN" run clip.mkv -o ref_b.mkv "${run_args[@]}" --cut-threshold 0.5 2>/dev/null
cmp ref_b.mkv media/b.mkv || fail "spec-file job differs from the equivalent run"

# 3. a failing job: watch exits 1 and names the error
id3=$("$FR_BIN" submit clip.mkv -o media/c.mkv --model "$PWD/no-such-model.h5" --ranks 1 2>err) && fail "a missing model file was accepted: $id3"
grep -q "model" err || { cat err; fail "the error does not name the model field"; }
echo "not a film" > media/bad.mkv
id3=$("$FR_BIN" submit media/bad.mkv -o media/c.mkv --ranks 1 --model tint)
set +e; "$FR_BIN" watch "$id3" 2>watch3.log; rc=$?; set -e
[[ $rc == 1 ]] || { cat watch3.log; fail "watch of a failed job exited $rc"; }
[[ $(grep -c '^filmrestore: ' watch3.log) == 1 ]] && grep -q "failed" watch3.log || { cat watch3.log; fail "no one-line error"; }

# 4. refused specs: one line each, exit != 0
expect_error outside "outside the allowed roots" submit /etc/hostname -o media/x.mkv
echo '{"input": "clip.mkv", "output": "media/x.mkv", "batch": "8"}' > spec_bad.json
expect_error badtype "field 'batch' must be an integer" submit spec_bad.json
echo '{"input": "clip.mkv", "output": "media/x.mkv", "render_factor": 8}' > spec_bad.json
expect_error unknown "unknown field 'render_factor'" submit spec_bad.json
expect_error range "render-factor" submit clip.mkv -o media/x.mkv --render-factor 2
expect_error noid "no job j999999" status j999999

# 5. cancel: a held job (max-running 0 daemon) goes to cancelled; list shows all
stop_daemon
start_daemon "$PWD/spool" --allow-root "$PWD" --max-running 0
id4=$("$FR_BIN" submit clip.mkv -o media/d.mkv "${run_args[@]}")
[[ $("$FR_BIN" cancel "$id4") == "$id4 cancelled" ]] || fail "cancel did not report cancelled"
set +e; "$FR_BIN" watch "$id4" 2>/dev/null; rc=$?; set -e
[[ $rc == 3 ]] || fail "watch of a cancelled job exited $rc"
expect_error again "already cancelled" cancel "$id4"
"$FR_BIN" list > list.txt
for id in "$id1" "$id2" "$id3" "$id4"; do
    [[ $(grep -c "^$id " list.txt) == 1 ]] || { cat list.txt; fail "list shows $id not exactly once"; }
done
grep -q "^$id1 *done" list.txt && grep -q "^$id3 *failed" list.txt && grep -q "^$id4 *cancelled" list.txt \
    || { cat list.txt; fail "list states wrong"; }

# 6. side by side (--max-running 2), but never two runs on one store
stop_daemon
start_daemon "$PWD/spool" --allow-root "$PWD" --max-running 2
# j5 and j7 share a store, so j6, submitted after both, is the one to run beside j5
id5=$("$FR_BIN" submit clip.mkv -o media/e.mkv "${run_args[@]}")
id7=$("$FR_BIN" submit clip.mkv -o media/e.mkv "${run_args[@]}")
id6=$("$FR_BIN" submit clip.mkv -o media/f.mkv "${run_args[@]}")
for id in "$id5" "$id6" "$id7"; do "$FR_BIN" watch "$id" 2>/dev/null || fail "$id did not end done"; done
t() { job_field "$1" "$2"; }
"$PYTHON" -c 'import sys; s5,f5,s6,f6,s7=map(float,sys.argv[1:]); sys.exit(0 if s6 < f5 and s7 >= f5 else 1)' \
    "$(t "$id5" started)" "$(t "$id5" finished)" "$(t "$id6" started)" "$(t "$id6" finished)" "$(t "$id7" started)" \
    || fail "jobs did not run side by side, or two ran on one store at once"
cmp ref.mkv media/e.mkv && cmp ref.mkv media/f.mkv || fail "side-by-side outputs differ"
echo "ok: $id1 $id2 done, $id3 failed, $id4 cancelled, $id5 and $id6 side by side, then $id7"
