#!/usr/bin/env bash
# A stopped or hung node rank ends the run with one line (coordinator/watchdog.h), and so
# does a node that never reports READY (FILMRESTORE_READY_TIMEOUT).
# 1. Watchdog: node rank 1 is SIGSTOPped once a few segments are done; with
#    FILMRESTORE_JOB_TIMEOUT=4 the run must exit non-zero within the timeout plus a
#    margin, with one error line naming node 1 and FILMRESTORE_JOB_TIMEOUT; no rank of the
#    run is left. Then a rerun resumes from the store and finishes, and its output passes
#    verify --store.
# 2. READY: the model is a FIFO, so every node hangs opening it (ranks under mpirun); with
#    FILMRESTORE_READY_TIMEOUT=3 the run exits non-zero with one line saying the nodes did
#    not report ready, and no rank is left.
# Every process the test starts is a descendant of its launcher: the trap continues and
# kills those that remain, and nothing else.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 60 -c:v libx264 -pix_fmt yuv420p long.mkv

launcher=
descendants() { # every process below $1
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}
rank_pid() { # the process of MPI rank $2 below launcher $1
    local p
    for p in $(descendants "$1"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
    done
}
cleanup() {
    [[ -n $launcher ]] || return 0
    local left; left=$(descendants "$launcher")
    [[ -z $left ]] || { kill -CONT $left 2>/dev/null; kill -KILL $left 2>/dev/null; } || true
    kill -KILL "$launcher" 2>/dev/null || true
    [[ -p model.h5 ]] && { exec 3<>model.h5; exec 3>&-; }  # unblock any opener of the FIFO
    return 0
}
trap cleanup EXIT

# 1. The watchdog.
FILMRESTORE_JOB_TIMEOUT=4 "$FR_BIN" run long.mkv -o out.mkv --ranks 1 --model tint --render-factor 4 \
    --segment-frames 24 2>run.err &
launcher=$!
for ((i = 0; i < 600; i++)); do  # until three segments are done
    (( $(ls out.mkv.h5.parts 2>/dev/null | wc -l) >= 3 )) && break
    kill -0 $launcher 2>/dev/null || { cat run.err; fail "the run ended before any node could be stopped"; }
    sleep 0.1
done
node=$(rank_pid $launcher 1)
[[ -n $node ]] || { cat run.err; fail "no node rank found below the launcher"; }
kill -STOP "$node"
stopped_at=$(date +%s)
for ((i = 0; i < 300; i++)); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
kill -0 $launcher 2>/dev/null && fail "the run still runs $(( $(date +%s) - stopped_at )) s after its node was stopped"
set +e; wait $launcher; rc=$?; set -e
took=$(( $(date +%s) - stopped_at ))
launcher_done=$launcher
cat run.err
[[ $rc != 0 ]] || fail "the run exited 0 with a stopped node"
(( took <= 4 + 20 )) || fail "the run took $took s to end after its node was stopped (timeout 4 s)"
errs=$(grep '^filmrestore: ' run.err)
[[ $(wc -l <<<"$errs") == 1 ]] || fail "expected one error line, got: $errs"
grep -q "node 1 .*FILMRESTORE_JOB_TIMEOUT.*stopped or hung.*rerun to resume" <<<"$errs" || fail "the line does not name node 1: $errs"
left=$(descendants $launcher_done)
[[ -z $left ]] || fail "processes left after the run: $left"
# mpirun's signals wait in the stopped rank: once continued, it must go at once
kill -CONT "$node" 2>/dev/null || true
for ((i = 0; i < 50; i++)); do kill -0 "$node" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$node" 2>/dev/null; then
    kill -KILL "$node"
    fail "the stopped node rank $node outlived its run by 5 s once continued"
fi
launcher=

# The same command resumes and finishes.
"$FR_BIN" run long.mkv -o out.mkv --ranks 1 --model tint --render-factor 4 --segment-frames 24 2>rerun.err ||
    { cat rerun.err; fail "the rerun failed"; }
grep -q "resuming from" rerun.err || { cat rerun.err; fail "the rerun did not resume from the store"; }
grep -Eq "segments: [0-9]+ run, [1-9][0-9]* already done" rerun.err || { cat rerun.err; fail "the rerun found nothing done"; }
"$FR_BIN" verify out.mkv --store out.mkv.h5 >/dev/null || fail "the resumed output does not verify"

# 2. A node that never reports READY: it hangs opening its model (a FIFO).
mkfifo model.h5
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 1 -c:v libx264 -pix_fmt yuv420p short.mkv
start=$(date +%s)
# Started under mpirun by hand, as on a cluster: filmrestore's own launcher would refuse the
# FIFO before starting any rank (shared/fr_model_check.c; tested in pipeline_errors.sh).
FILMRESTORE_READY_TIMEOUT=3 mpirun --oversubscribe --bind-to none -np 3 \
    "$FR_BIN" run short.mkv -o ready.mkv --model ./model.h5 2>ready.err &
launcher=$!
for ((i = 0; i < 400; i++)); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
kill -0 $launcher 2>/dev/null && fail "the run still waits for READY after $(( $(date +%s) - start )) s (timeout 3 s)"
set +e; wait $launcher; rc=$?; set -e
cat ready.err
[[ $rc != 0 ]] || fail "the run exited 0 without its nodes"
errs=$(grep '^filmrestore: ' ready.err)
[[ $(wc -l <<<"$errs") == 1 ]] || fail "expected one error line, got: $errs"
grep -q "2 of 2 node ranks did not report ready within 3 s" <<<"$errs" || fail "unexpected line: $errs"
left=$(descendants $launcher)
[[ -z $left ]] || fail "processes left after the run: $left"
echo ok
