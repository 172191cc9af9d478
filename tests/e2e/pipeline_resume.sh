#!/usr/bin/env bash
# Crash and resume: the coordinator (rank 0) is killed with SIGKILL at random
# instants, then a node rank is; each rerun resumes from the store without
# redoing finished segments, and the final output is byte-identical to an
# uninterrupted run.
source "$(dirname "$0")/../lib.sh"
make_cuts_clip base.mkv
ff -stream_loop 4 -i base.mkv -c:v libx264 -pix_fmt yuv420p -c:a flac src.mkv   # 660 frames, 14 cuts
args=(--ranks 2 --model tint --render-factor 12 --segment-frames 8)
"$FR_BIN" run src.mkv -o ref.mkv "${args[@]}" 2>ref.log || { cat ref.log; fail "reference run failed"; }

# pid of MPI rank $1 of the running job, or nothing
rank_pid() {
    for p in $(pgrep -f "filmrestore run src.mkv -o out.mkv"); do
        tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo $p; return 0; }
    done
    return 0
}
done_batches() { [[ -f out.mkv.h5 ]] && "$PYTHON" -c "import h5py,sys; f=h5py.File('out.mkv.h5','r',swmr=True); print(int(f['batch_done'][()].sum()), int(f['batch_smoothed'][()].sum()))" || echo "0 0"; }

RANDOM=7
kills=0 prev_done=0
for target in 0 0 0 0 0 0 1; do
    "$FR_BIN" run src.mkv -o out.mkv "${args[@]}" 2>run.log &
    launcher=$!
    # wait for the rank to exist, then kill it a random 0.2-1.1 s later, so that
    # kills land while work remains on fast and slow machines alike
    for _ in $(seq 100); do [[ -n $(rank_pid $target) ]] && break; sleep 0.1; done
    sleep "0.$((RANDOM % 10 + 2))"
    pid=$(rank_pid $target)
    if [[ -n $pid ]]; then
        kill -9 "$pid" && kills=$((kills + 1))
    fi
    set +e; wait $launcher; rc=$?; set -e
    read -r colorized smoothed < <(done_batches)
    echo "killed rank $target (pid ${pid:-none}): exit $rc, store has $colorized colourised, $smoothed smoothed"
    [[ -n $pid && $rc == 0 ]] && fail "a killed run reported success"
    [[ $rc != 0 ]] && { [[ $(grep -c '^filmrestore:' run.log) == 1 ]] || { cat run.log; fail "expected one error line"; }; }
    (( colorized + smoothed >= prev_done )) || fail "done batches were lost ($prev_done -> $((colorized + smoothed)))"
    prev_done=$((colorized + smoothed))
    [[ -f out.mkv ]] && break
done
(( kills >= 5 )) || fail "only $kills kills landed"
read -r before_c before_s < <(done_batches)
[[ -f out.mkv ]] || "$FR_BIN" run src.mkv -o out.mkv "${args[@]}" 2>final.log || { cat final.log; fail "final resume failed"; }
if [[ -f final.log ]]; then
    grep -q "segments: [0-9]* run, $before_c already done" final.log || { cat final.log; fail "resume redid or skipped the wrong segments (expected $before_c done)"; }
    (( before_s == before_c )) || fail "a segment was flagged done without its smoothing ($before_c done, $before_s smoothed)"
fi
cmp ref.mkv out.mkv || fail "resumed output differs from the uninterrupted run"
[[ $(store_digest ref.mkv.h5) == $(store_digest out.mkv.h5) ]] || fail "resumed store differs"
ls -a | grep -q '\.partial' && fail "temporary files left behind"
echo "ok after $kills kills"
