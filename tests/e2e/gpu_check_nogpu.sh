#!/usr/bin/env bash
# gpu_check_nogpu: bench/gpu-check on a machine without a GPU (the developers' and CI's)
# says so in one line, prints the size of what a GPU machine must be given, and exits 77
# (nothing checked) without building or running anything. On a GPU machine this skips.
source "$(dirname "$0")/../lib.sh"
if nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    skip "a GPU is here: run bench/gpu-check LOGDIR itself"
fi
set +e
GPU_CHECK_BUNDLE=0 "$FR_ROOT/bench/gpu-check" >out 2>err
rc=$?
set -e
[[ $rc == 77 ]] || { cat out err; fail "exit $rc, not 77"; }
[[ $(grep -c "no GPU here" out) == 1 && $(head -1 out) == "gpu-check: no GPU here ("*"); nothing checked" ]] ||
    { cat out; fail "the first line does not say there is no GPU"; }
grep -qE "^gpu-check: to copy to a GPU machine: the repository's tracked files [0-9.]+ MiB \+ build/gpu-bundle.tar.xz [0-9.]+ MiB = [0-9.]+ MiB \(limit 64 MiB\)$" out ||
    { cat out; fail "no size of the copy"; }
[[ ! -s err ]] || { cat err; fail "stderr is not empty"; }
cat out
echo "gpu_check_nogpu: ok"
