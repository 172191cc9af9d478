#!/usr/bin/env bash
# The cluster options refuse bad input with one line naming the problem, before anything
# starts: run's --launcher and --hostfile, submit's SLURM options, filmrestored's --runner,
# and the sbatch scripts' arguments. No SLURM daemon is needed.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 0.5 -c:v libx264 -pix_fmt yuv420p clip.mkv
printf 'localhost slots=4\n' >hosts
unset SLURM_JOB_ID SLURM_NTASKS SLURM_NPROCS SLURM_JOB_NUM_NODES
base=(run clip.mkv -o out.mkv --model tint --render-factor 4)
expect_error launcher-name "--launcher: 'ssh' is not auto, mpirun or srun" "${base[@]}" --launcher ssh
expect_error srun-outside "not inside a SLURM allocation" "${base[@]}" --launcher srun
expect_error hostfile-missing "--hostfile $FR_TMP/nope: No such file" "${base[@]}" --hostfile "$FR_TMP/nope"
expect_error hostfile-srun "cannot go with --launcher srun" "${base[@]}" --hostfile hosts --launcher srun
expect_error hostfile-one-process "--hostfile has no effect with --ranks 0" "${base[@]}" --hostfile hosts --ranks 0
[[ ! -e out.mkv && ! -e out.mkv.h5 ]] || fail "a refused run left files"
expect_error wait-alone "go with --slurm" submit clip.mkv -o out.mkv --wait
expect_error sbatch-alone "go with --slurm" submit clip.mkv -o out.mkv --sbatch=--nodes=2
expect_error sbatch-script "--sbatch-script $FR_TMP/none.sbatch" submit --slurm --sbatch-script "$FR_TMP/none.sbatch" clip.mkv -o out.mkv
expect_error slurm-bad-setting "--render-factor" submit --slurm clip.mkv -o out.mkv --render-factor 2
FRD=${FR_BIN%/*}/filmrestored
mkdir -p spool
set +e; "$FRD" --spool spool --allow-root "$FR_TMP" --runner pbs 2>err; rc=$?; set -e
[[ $rc != 0 && $(wc -l <err) == 1 ]] && grep -q "^filmrestored: --runner: 'pbs' is not local or slurm" err || { cat err; fail "filmrestored --runner pbs: exit $rc"; }
set +e; "$FRD" --spool spool --allow-root "$FR_TMP" --sbatch-option=--nodes=2 2>err; rc=$?; set -e
[[ $rc != 0 ]] && grep -q "need --runner slurm" err || { cat err; fail "filmrestored took --sbatch-option without --runner slurm"; }
# the batch scripts, run as plain scripts
set +e; bash "$FR_ROOT/cluster/filmrestore.sbatch" clip.mkv 2>err; rc=$?; set -e
[[ $rc == 2 ]] && grep -q "^usage: sbatch .*filmrestore.sbatch INPUT OUTPUT" err || { cat err; fail "filmrestore.sbatch with one argument: exit $rc"; }
set +e; FR_LAUNCHER=ssh FILMRESTORE=$FR_BIN bash "$FR_ROOT/cluster/filmrestore.sbatch" clip.mkv out.mkv 2>err; rc=$?; set -e
[[ $rc == 2 ]] && grep -q "FR_LAUNCHER=ssh is not srun or mpirun" err || { cat err; fail "filmrestore.sbatch took FR_LAUNCHER=ssh: exit $rc"; }
set +e; bash "$FR_ROOT/cluster/filmrestore-array.sbatch" list.txt "$FR_TMP" 2>err; rc=$?; set -e
[[ $rc != 0 ]] && grep -q "not an array task" err || { cat err; fail "filmrestore-array.sbatch outside an array: exit $rc"; }
echo "clip.mkv" >list.txt
set +e; SLURM_ARRAY_TASK_ID=3 bash "$FR_ROOT/cluster/filmrestore-array.sbatch" list.txt "$FR_TMP" 2>err; rc=$?; set -e
[[ $rc == 2 ]] && grep -q "has no line 4 for array task 3" err || { cat err; fail "array task past the list's end: exit $rc"; }
echo ok
