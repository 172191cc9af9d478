#!/usr/bin/env bash
# SLURM and many hosts, on a real local cluster (cluster/local-slurm: munged, slurmctld and two
# slurmd, each host a network namespace of its own, Open MPI over TCP on the bridge). One
# up/down for every case:
#   1. sbatch cluster/filmrestore.sbatch on 2 hosts: node ranks on both (the log names them),
#      output byte-identical to a local `filmrestore run` with the same settings;
#   2. a 3-reel job array (cluster/filmrestore-array.sbatch, launched with mpirun inside each
#      allocation): each reel identical to its local run;
#   3. `scontrol requeue` once batches are stored: the job completes with the same output and
#      its log shows the resume ("K already done", K > 0);
#   4. SIGKILL to the ranks in one host's namespace: the job fails with a clear message; the
#      same submission again resumes and gives the same output;
#      SIGTERM to the batch shell alone: a clean stop (store closed), resumed when resubmitted;
#   5. `filmrestore run --hostfile` across the two namespaces, without SLURM (mpirun, with
#      cluster/local-slurm rsh as its remote shell): the same output;
#   6. filmrestored --runner slurm: a job cancelled once batches are stored (scancel) leaves a
#      store that the same job submitted again resumes, to the same output;
#   7. `filmrestore submit --slurm --wait`: sbatch, followed to COMPLETED, the same output.
source "$(dirname "$0")/../lib.sh"
[[ $(id -u) == 0 ]] || skip "needs root (network namespaces, slurmd)"
command -v ip >/dev/null && command -v nsenter >/dev/null || skip "needs ip and nsenter (iproute2, util-linux)"
export FR_LOCAL_SLURM_DIR=$FR_TMP/cluster
# names, subnet and ports of this run's own, so that two checkouts can run the suite at once
n=$(($$ % 200 + 20))
export FR_LOCAL_SLURM_PREFIX=fr$n FR_LOCAL_SLURM_NET=10.251.$n FR_LOCAL_SLURM_PORT=$((16800 + 2 * n))
LS=$FR_ROOT/cluster/local-slurm
# the daemons' logs outlive a failed run, in FR_TMP/slurm-logs
down() { local rc=$?; ((rc == 0)) || cp -r "$FR_LOCAL_SLURM_DIR/log" "$FR_TMP/slurm-logs" 2>/dev/null; "$LS" down >/dev/null 2>&1 || true; }
trap down EXIT
envfile=$("$LS" up 2>up.log) || { cat up.log; fail "local-slurm up failed"; }
cat up.log
source "$envfile"
read -r -a hosts <<<"$FR_LOCAL_SLURM_NODES"
nhosts=${#hosts[@]}
export FILMRESTORE=$FR_BIN
unset OMPI_MCA_rmaps_base_oversubscribe # the launcher asks for what it needs

# state of SLURM job $1 once it has ended (waits up to $2 s, default 120)
wait_job() {
    local s _
    for _ in $(seq $((${2:-120} * 5))); do
        s=$(scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
        case $s in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE) echo "$s"; return 0 ;; esac
        sleep 0.2
    done
    echo "TIMEOUT-WAITING($s)"
}
done_batches() { "$PYTHON" -c 'import h5py, sys; print(int(h5py.File(sys.argv[1], "r", swmr=True)["batch_done"][()].sum()))' "$1" 2>/dev/null || echo 0; }
wait_batches() { # store, at least n: waits until the store holds n done batches
    local _
    for _ in $(seq 600); do (($(done_batches "$1") >= $2)) && return 0; sleep 0.1; done
    fail "the store $1 never held $2 done batches"
}

ff -f lavfi -i "testsrc2=size=160x120:rate=24" -f lavfi -i sine=frequency=300:sample_rate=48000 -t 6 \
   -c:v libx264 -pix_fmt yuv420p -c:a flac film.mkv # 144 frames
film=$FR_TMP/film.mkv
args=(--render-factor 8 --segment-frames 8 --threads 1)
start=$(date +%s.%N)
"$FR_BIN" run "$film" -o "$FR_TMP/ref.mkv" --ranks 2 "${args[@]}" 2>ref.log || { cat ref.log; fail "local reference run failed"; }
echo "local run: $(echo "$(date +%s.%N) - $start" | bc) s"

# 1. one film on every host
start=$(date +%s.%N)
j=$(sbatch --parsable --nodes="$nhosts" --ntasks-per-node=1 -o one.log "$FR_ROOT/cluster/filmrestore.sbatch" "$film" "$FR_TMP/one.mkv" "${args[@]}")
st=$(wait_job "$j")
echo "sbatch on $nhosts host(s): $st in $(echo "$(date +%s.%N) - $start" | bc) s"
[[ $st == COMPLETED ]] || { cat one.log; fail "the sbatch job ended $st"; }
for h in "${hosts[@]}"; do grep -q "^\[node [0-9]*\] on host $h\$" one.log || { cat one.log; fail "no node rank ran on $h"; }; done
cmp ref.mkv one.mkv || fail "sbatch output differs from the local run"
[[ $(store_digest ref.mkv.h5) == $(store_digest one.mkv.h5) ]] || fail "sbatch store differs from the local run's"

# 2. a shelf of three reels as an array, at most two at once (mpirun inside each allocation)
mkdir -p reels out
for r in 1 2 3; do
    ff -f lavfi -i "testsrc2=size=160x120:rate=24,hue=H=$r" -t 1.5 -c:v libx264 -pix_fmt yuv420p "reels/reel$r.mkv"
    echo "$FR_TMP/reels/reel$r.mkv" >>reels.txt
done
start=$(date +%s.%N)
aj=$(FR_LAUNCHER=mpirun sbatch --parsable --array=0-2%2 --nodes=1 --ntasks-per-node=2 -o "array-%a.log" \
    "$FR_ROOT/cluster/filmrestore-array.sbatch" "$FR_TMP/reels.txt" "$FR_TMP/out" --model tint "${args[@]}")
for t in 0 1 2; do
    st=$(wait_job "${aj}_$t")
    [[ $st == COMPLETED ]] || { cat "array-$t.log"; fail "array task $t ended $st"; }
done
echo "array of 3 reels: $(echo "$(date +%s.%N) - $start" | bc) s"
for r in 1 2 3; do
    "$FR_BIN" run "reels/reel$r.mkv" -o "reel$r-local.mkv" --ranks 1 --model tint "${args[@]}" 2>/dev/null || fail "local run of reel $r failed"
    cmp "reel$r-local.mkv" "out/reel$r.mkv" || fail "reel $r from the array differs from its local run"
done

# 3. requeued halfway: resumes from the store
j=$(sbatch --parsable --nodes="$nhosts" --ntasks-per-node=1 -o requeue.log "$FR_ROOT/cluster/filmrestore.sbatch" "$film" "$FR_TMP/rq.mkv" "${args[@]}")
wait_batches rq.mkv.h5 3
scontrol requeue "$j"
for _ in $(seq 100); do scontrol -o show job "$j" | grep -q 'JobState=PENDING' && break; sleep 0.1; done
# a requeued job waits for a later begin time otherwise; not within the second of the requeue,
# whose revoked credential would refuse the new start ("Job credential revoked"); an update
# (unlike a begin time in the future) has the scheduler start it at once
sleep 2
scontrol update JobId="$j" StartTime=now
st=$(wait_job "$j")
[[ $st == COMPLETED ]] || { cat requeue.log; scontrol -o show job "$j"; fail "the requeued job ended $st"; }
grep -q "JOB $j ON .* DUE TO JOB REQUEUE" requeue.log || { cat requeue.log; fail "the job was not requeued while it ran"; }
grep -q "restart 1" requeue.log || { cat requeue.log; fail "the job did not run again after the requeue"; }
k=$(grep -o "segments: [0-9]* run, [0-9]* already done" requeue.log | tail -1 | awk '{print $4}')
((${k:-0} > 0)) || { cat requeue.log; fail "the requeued run did not resume from the store"; }
echo "requeued: resumed with $k segments already done"
cmp ref.mkv rq.mkv || fail "requeued output differs from the local run"

# 4. a host's ranks killed: a clear failure, then a resubmission resumes
victim=${hosts[$((nhosts - 1))]}
sub=(--nodes="$nhosts" --ntasks-per-node=1 -o kill.log "$FR_ROOT/cluster/filmrestore.sbatch" "$film" "$FR_TMP/kill.mkv" "${args[@]}")
j=$(sbatch --parsable "${sub[@]}")
wait_batches kill.mkv.h5 3
if ((nhosts == 2)); then
    pids=$(for p in $("$LS" pids "$victim"); do [[ $(cat "/proc/$p/comm" 2>/dev/null) == filmrestore ]] && echo "$p"; done || true)
else # one host: its node ranks (not the coordinator, rank 0)
    pids=$(for p in $(pgrep -f -- "$FR_TMP/kill.mkv"); do tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'SLURM_PROCID=[1-9][0-9]*' && echo "$p"; done || true)
fi
[[ -n $pids ]] || fail "found no rank on $victim"
kill -9 $pids
st=$(wait_job "$j")
[[ $st == FAILED ]] || { cat kill.log; fail "the job with killed ranks ended $st, not FAILED"; }
grep -q "^filmrestore: .*rerun to resume" kill.log || { cat kill.log; fail "no one-line error saying how to resume"; }
grep -q "the run failed (exit [1-9][0-9]*) on .*submit the same command again to resume" kill.log ||
    { cat kill.log; fail "the batch script did not explain the failure"; }
echo "killed on $victim: $(grep '^filmrestore:' kill.log | tail -1)"
j=$(sbatch --parsable "${sub[@]}")
st=$(wait_job "$j")
[[ $st == COMPLETED ]] || { cat kill.log; fail "the resubmitted job ended $st"; }
grep -q "resuming from" kill.log || fail "the resubmission did not resume"
cmp ref.mkv kill.mkv || fail "resubmitted output differs from the local run"

# 4b. SIGTERM to the batch shell alone (as --signal=B:TERM@120 sends near the time limit):
#     the script passes it to the launcher, which stops every rank cleanly; resubmitted, it resumes
j=$(sbatch --parsable "${sub[@]/kill./term.}")
wait_batches term.mkv.h5 3
scancel --batch --signal=TERM "$j"
st=$(wait_job "$j")
grep -q "^filmrestore: stopped by SIGTERM" term.log || { cat term.log; fail "the batch shell's SIGTERM did not stop the run cleanly"; }
grep -q "stopped by a signal (exit 143)" term.log || { cat term.log; fail "the batch script did not say it was stopped"; }
"$PYTHON" -c 'import h5py, sys; h5py.File(sys.argv[1], "r")' term.mkv.h5 || fail "the stopped run left its store unclosed"
j=$(sbatch --parsable "${sub[@]/kill./term.}")
st=$(wait_job "$j")
[[ $st == COMPLETED ]] || { cat term.log; fail "the job resubmitted after SIGTERM ended $st"; }
cmp ref.mkv term.mkv || fail "output after a clean stop and resubmission differs from the local run"
k=$(grep -o "segments: [0-9]* run, [0-9]* already done" term.log | tail -1 | awk '{print $4}')
((${k:-0} > 0)) || { cat term.log; fail "the job resubmitted after SIGTERM did not resume"; }
echo "SIGTERM to the batch shell: stopped cleanly, resubmitted, resumed with $k segments already done"

# 5. the hostfile launcher, without SLURM
if ((nhosts == 2)); then
    printf '%s slots=2\n' "${hosts[@]}" >hostfile
    start=$(date +%s.%N)
    "$FR_BIN" run "$film" -o "$FR_TMP/hf.mkv" --hostfile hostfile --ranks 2 "${args[@]}" 2>hf.log || { cat hf.log; fail "hostfile run failed"; }
    echo "hostfile launcher on ${hosts[*]}: $(echo "$(date +%s.%N) - $start" | bc) s"
    for h in "${hosts[@]}"; do grep -q "on host $h\$" hf.log || { cat hf.log; fail "hostfile run had no node rank on $h"; }; done
    cmp ref.mkv hf.mkv || fail "hostfile output differs from the local run"
else
    echo "one host only (namespaces refused): the hostfile case is not run"
fi

# 6. the job service's SLURM runner: cancel, then submit again
source "$FR_ROOT/tests/jobs_lib.bash"
mkdir -p spool
start_daemon "$FR_TMP/spool" --allow-root "$FR_TMP" --runner slurm --sbatch-option=--nodes="$nhosts" --sbatch-option=--ntasks-per-node=1
trap 'stop_daemon || true; down' EXIT
id=$("$FR_BIN" submit "$film" -o "$FR_TMP/svc.mkv" "${args[@]}")
wait_batches svc.mkv.h5 3
"$FR_BIN" cancel "$id" >/dev/null
set +e; "$FR_BIN" watch "$id" 2>/dev/null; rc=$?; set -e
[[ $rc == 3 ]] || fail "watch of the cancelled SLURM job exited $rc, not 3"
[[ ! -e svc.mkv ]] || fail "the cancelled job wrote its output"
id=$("$FR_BIN" submit "$film" -o "$FR_TMP/svc.mkv" "${args[@]}")
set +e; "$FR_BIN" watch "$id" 2>/dev/null; rc=$?; set -e
log=$(job_field "$id" log)
[[ $rc == 0 ]] || { cat "$log"; fail "the resubmitted service job exited $rc"; }
k=$(grep -o "segments: [0-9]* run, [0-9]* already done" "$log" | tail -1 | awk '{print $4}')
((${k:-0} > 0)) || { cat "$log"; fail "the resubmitted service job did not resume from the cancelled one's store"; }
grep -q "on the slurm runner" "$log" || fail "the job did not run on the slurm runner"
cmp ref.mkv svc.mkv || fail "the service's SLURM output differs from the local run"
stop_daemon
echo "service on SLURM: cancelled, resubmitted, resumed with $k segments already done"

# 7. submit --slurm --wait, no service
"$FR_BIN" submit --slurm --wait --sbatch=--nodes=1 --sbatch=--output="$FR_TMP/sub.log" reels/reel1.mkv -o sub.mkv --model tint "${args[@]}" \
    >sub.id 2>sub.err || { cat sub.err sub.log; fail "submit --slurm --wait failed"; }
grep -q "COMPLETED" sub.err || { cat sub.err; fail "submit --wait did not follow the job to COMPLETED"; }
cmp reel1-local.mkv sub.mkv || fail "submit --slurm output differs from the local run"
echo ok
