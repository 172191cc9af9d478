#!/usr/bin/env bash
# Issue 24, "Ownership": under CURVE a job belongs to the key that submitted it. Another
# client's status and cancel get "no job", and its list leaves the job out; a key of the
# --curve-admins folder sees and cancels every job. Without CURVE (loopback) every client
# sees every job, as before.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
"$PYTHON" -c 'import zmq,sys; sys.exit(0 if zmq.has("curve") else 1)' || skip "no CURVE in this libzmq"
ff -f lavfi -i testsrc2=size=64x48:rate=12 -t 1 -c:v libx264 -pix_fmt yuv420p clip.mkv
for k in server alice bob boss; do "$FRD" --keygen $k >/dev/null; done
mkdir -p clients admins && cp alice.pub bob.pub clients/ && cp boss.pub admins/
set +e; "$FRD" --spool s0 --allow-root "$PWD" --curve-admins admins 2>err; rc=$?; set -e
[[ $rc == 2 ]] && grep -q -- "--curve-admins needs" err || { cat err; fail "--curve-admins without CURVE was accepted"; }
start_daemon "$PWD/spool" --allow-root "$PWD" --max-running 0 \
    --curve-secret server.key --curve-clients clients --curve-admins admins
as() { local who=$1; shift; "$FR_BIN" "$@" --server-key server.pub --key "$who.key" --timeout 5000; }
id=$(as alice submit "$PWD/clip.mkv" -o "$PWD/a.mkv" --model tint --ranks 1)
as alice status "$id" >/dev/null || fail "alice cannot see her own job"
set +e; as bob status "$id" 2>err >/dev/null; rc=$?; set -e
[[ $rc != 0 ]] && grep -q "no job $id" err || { cat err; fail "bob read alice's job (exit $rc)"; }
set +e; as bob cancel "$id" 2>err >/dev/null; rc=$?; set -e
[[ $rc != 0 ]] && grep -q "no job $id" err || { cat err; fail "bob cancelled alice's job (exit $rc)"; }
bobs=$(as bob list) || fail "bob cannot list"
! grep -q "$id" <<<"$bobs" || fail "bob's list shows alice's job"
as alice list | grep -q "$id" || fail "alice's list lacks her job"
as boss list | grep -q "$id" || fail "the admin's list lacks alice's job"
as boss status "$id" | grep -q '"spec"' || fail "the admin cannot read alice's job"
as boss cancel "$id" >/dev/null || fail "the admin cannot cancel alice's job"
[[ $(as alice status "$id" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["state"])') == cancelled ]] \
    || fail "the admin's cancel did not take"
grep -q '"owner"' "spool/jobs/$id.json" || fail "the record does not keep the owner"
stop_daemon
# loopback without CURVE: today's behaviour, every client sees every job (the record's owner is kept)
start_daemon "$PWD/spool" --allow-root "$PWD" --max-running 0
"$FR_BIN" list | grep -q "$id" || fail "without CURVE a job is not listed"
"$FR_BIN" status "$id" >/dev/null || fail "without CURVE a job cannot be read"
echo "ownership holds"
