#!/usr/bin/env bash
# The job service with an independent client (Python's zmq, from docs/jobs.md):
# the Python example in docs/jobs.md, run as it stands, colourises a clip
# identically to `filmrestore run`; then tests/e2e/jobs_protocol.py sends good
# and bad requests (malformed JSON, unknown fields, wrong types, paths outside
# the roots, huge messages, random bytes) and the daemon answers or drops each
# while staying up. Last, CURVE: off loopback only with keys, and only
# authorised clients are answered.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
"$PYTHON" -c 'import zmq' 2>/dev/null || skip "python3-zmq is not installed"
trap 'stop_daemon; [[ -n ${D2:-} ]] && kill $D2 2>/dev/null; true' EXIT
ff -f lavfi -i testsrc2=size=96x64:rate=24 -t 2 -c:v libx264 -pix_fmt yuv420p clip.mkv
"$FR_BIN" run clip.mkv -o ref.mkv --model tint --render-factor 4 --ranks 1 2>ref.log || { cat ref.log; fail "reference run failed"; }

# 1. the documented example
sed -n '/<!-- example.py -->/,/^```$/p' "$FR_ROOT/docs/jobs.md" | sed '1,2d;$d' > example.py
grep -q 'zmq.REQ' example.py || fail "no example found in docs/jobs.md"
start_daemon "$PWD/spool" --allow-root "$PWD"
"$PYTHON" example.py "$REQ" "$EVENTS" "$PWD/clip.mkv" "$PWD/ex.mkv" >ex.out 2>ex.err || { cat ex.err; fail "the example failed"; }
read -r id state log < ex.out
[[ $state == done && -s $log ]] || { cat ex.out ex.err; fail "the example's job did not end done"; }
grep -q "^running " ex.err || { cat ex.err; fail "the example saw no progress event"; }
cmp ref.mkv ex.mkv || fail "the example's output differs from filmrestore run's"
stop_daemon

# 2. the protocol, good and bad
start_daemon "$PWD/spool2" --allow-root "$PWD" --max-running 0
"$PYTHON" "$FR_ROOT/tests/e2e/jobs_protocol.py" "$PWD/spool2" "$PWD" || fail "protocol checks failed"
kill -0 "$DAEMON_PID" || fail "the daemon died"
stop_daemon

# 3. CURVE
set +e; "$FRD" --spool spool3 --allow-root "$PWD" --bind 'tcp://0.0.0.0:*' --publish 'tcp://127.0.0.1:*' 2>err; rc=$?; set -e
[[ $rc == 2 ]] && grep -q "needs CURVE" err || { cat err; fail "a non-loopback bind without keys was accepted (exit $rc)"; }
"$PYTHON" -c 'import zmq,sys; sys.exit(0 if zmq.has("curve") else 1)' || { echo "no CURVE in this libzmq: CURVE part skipped"; exit 0; }
"$FRD" --keygen server >/dev/null && "$FRD" --keygen desk >/dev/null && "$FRD" --keygen stranger >/dev/null
[[ $(stat -c %a server.key) == 600 ]] || fail "secret key not mode 0600"
mkdir -p clients && cp desk.pub clients/
start_daemon "$PWD/spool3" --allow-root "$PWD" --bind 'tcp://0.0.0.0:*' --publish 'tcp://0.0.0.0:*' \
    --curve-secret server.key --curve-clients clients
port=${REQ##*:}
"$FR_BIN" status --connect "tcp://127.0.0.1:$port" --server-key server.pub --key desk.key >ping.json \
    || fail "the authorised C client was refused"
grep -q filmrestored ping.json || fail "no ping reply"
set +e; "$FR_BIN" status --connect "tcp://127.0.0.1:$port" --server-key server.pub --key stranger.key --timeout 1500 2>err; rc=$?; set -e
[[ $rc != 0 ]] && grep -q "no reply" err || { cat err; fail "an unauthorised key was answered"; }
set +e; "$FR_BIN" status --connect "tcp://127.0.0.1:$port" --timeout 1500 2>err; rc=$?; set -e
[[ $rc != 0 ]] || fail "a plain (non-CURVE) client was answered"
"$PYTHON" - "tcp://127.0.0.1:$port" <<'PY' || fail "the authorised Python client failed"
import sys, zmq
key = lambda f: open(f).read().strip().encode()
s = zmq.Context().socket(zmq.REQ)
secret = key("desk.key")
s.curve_serverkey = key("server.pub")
s.curve_secretkey = secret
s.curve_publickey = zmq.curve_public(secret)
s.rcvtimeo = 5000
s.connect(sys.argv[1])
s.send_json({"op": "ping"})
assert s.recv_json()["ok"]
PY
grep -q "refused a client" "$PWD/spool3.log" || fail "the daemon did not log the refusal"
echo "ok"
