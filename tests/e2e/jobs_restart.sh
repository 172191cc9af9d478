#!/usr/bin/env bash
# The job service survives SIGKILL: with one job running and the others
# queued, the daemon is killed (SIGKILL) and started again, once while each of
# the three jobs runs, at different points of its progress. The run a killed daemon left behind is stopped at the restart, the
# job resumes through its HDF5 store, and every job completes exactly once,
# with output byte-identical to an undisturbed `filmrestore run`. Then a
# running job is cancelled, and `filmrestore run` resumes its store.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
ff -f lavfi -i testsrc2=size=160x120:rate=24 -f lavfi -i sine=frequency=300:sample_rate=48000 -t 8 \
   -c:v libx264 -pix_fmt yuv420p -c:a flac film.mkv
run_args=(--model tint --render-factor 8 --batch 8 --ranks 1)
"$FR_BIN" run film.mkv -o ref.mkv "${run_args[@]}" 2>ref.log || { cat ref.log; fail "reference run failed"; }

spool=$PWD/spool
start_daemon "$spool" --allow-root "$PWD" --max-running 1
ids=()
for name in a b c; do ids+=("$("$FR_BIN" submit film.mkv -o "$name.mkv" "${run_args[@]}")"); done
[[ ${#ids[@]} == 3 ]] || fail "submits failed"

# a live (not zombie) process in session $1: the runner gives each run its own session
session_alive() { ps -eo sid=,stat= | awk -v s="$1" '$1 == s && $2 !~ /^Z/ {found = 1} END {exit !found}'; }
record() { "$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r[sys.argv[2]])' "$spool/jobs/$1.json" "$2"; }

kills=0
for k in 0 1 2; do
    # wait until job k runs and has passed 24*(k+1) frames, then kill the daemon
    id=${ids[$k]}
    for _ in $(seq 400); do
        if [[ $(record "$id" state) == running ]]; then
            d=$(job_field "$id" done 2>/dev/null || echo 0)
            (( d >= 24 * (k + 1) )) && break
        fi
        sleep 0.05
    done
    [[ $(record "$id" state) == running ]] || fail "$id never ran"
    ref=$(record "$id" runner_ref); orphan=${ref%%:*}
    kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
    kills=$((kills + 1))
    echo "killed the daemon while $id ran (run pid $orphan, $(record "$id" attempts) attempts)"
    for other in "${ids[@]}"; do
        [[ $other == "$id" ]] && continue
        s=$(record "$other" state)
        [[ $s == queued || $s == done ]] || fail "$other is '$s' on disk after the kill"
    done
    start_daemon "$spool" --allow-root "$PWD" --max-running 1
    [[ -n $orphan ]] && session_alive "$orphan" && fail "the run left by the killed daemon (session $orphan) still runs"
    grep -q "$id: requeued at the daemon's restart" "$spool/logs/$id.log" || fail "$id was not requeued"
done
(( kills == 3 )) || fail "only $kills kills landed while a job ran"

for id in "${ids[@]}"; do
    "$FR_BIN" watch "$id" --timeout 20000 2>/dev/null || fail "$id did not end done"
done
resumed=0
for i in 0 1 2; do
    id=${ids[$i]} name=$(printf '%s' abc | cut -c$((i + 1))) log=$spool/logs/${ids[$i]}.log
    attempts=$(job_field "$id" attempts)
    [[ $(grep -c "done (exit 0)" "$log") == 1 ]] || { cat "$log"; fail "$id did not complete exactly once"; }
    [[ $(grep -c ": attempt [0-9]* on the" "$log") == "$attempts" ]] || fail "$id: attempts field disagrees with its log"
    [[ $(grep -c "requeued at the daemon's restart" "$log") == $((attempts - 1)) ]] || fail "$id was started again without a restart"
    if (( attempts > 1 )); then
        grep -q "resuming from" "$log" || { cat "$log"; fail "$id restarted from scratch, not through its store"; }
        resumed=$((resumed + 1))
    fi
    cmp ref.mkv "$name.mkv" || fail "$id ($name.mkv) differs from the undisturbed run"
done
(( resumed == 3 )) || fail "only $resumed jobs were resumed"
[[ $(ls "$spool/jobs" | grep -c '\.json$') == 3 ]] || fail "the spool holds other than 3 jobs"

# cancel a running job: watch exits 3, and the store it leaves resumes under `filmrestore run`
id=$("$FR_BIN" submit film.mkv -o d.mkv "${run_args[@]}")
for _ in $(seq 400); do
    [[ $(record "$id" state) == running ]] && (( $(job_field "$id" done) >= 48 )) && break
    sleep 0.05
done
ref=$(record "$id" runner_ref); cancelled_session=${ref%%:*}
[[ $("$FR_BIN" cancel "$id") == "$id running" ]] || fail "cancel of a running job did not answer 'running'"
set +e; "$FR_BIN" watch "$id" --timeout 20000 2>/dev/null; rc=$?; set -e
[[ $rc == 3 && $(record "$id" state) == cancelled ]] || fail "the cancelled job ended with watch $rc, state $(record "$id" state)"
[[ -f d.mkv ]] && fail "a cancelled job left an output"
[[ -f d.mkv.h5 ]] || fail "a cancelled job left no store"
compgen -G ".d.partial-*" >/dev/null && fail "a cancelled job left its temporary output (the launcher stops the run on SIGTERM)"
# no process of the cancelled run is left (mpirun puts each rank in a process group of its own)
session_alive "$cancelled_session" && fail "a process of the cancelled run is still alive"
"$FR_BIN" run "$PWD/film.mkv" -o "$PWD/d.mkv" "${run_args[@]}" 2>d.log || { cat d.log; fail "the cancelled job's store did not resume"; }
grep -q "resuming from" d.log || { cat d.log; fail "run after cancel started afresh"; }
cmp ref.mkv d.mkv || fail "the resumed cancelled job differs from the undisturbed run"
echo "ok: $kills daemon kills, $resumed jobs resumed through their stores, a cancelled job resumed by run; all outputs identical"
