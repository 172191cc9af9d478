# tests/jobs_lib.bash: helpers for the job-service e2e scripts (sourced after
# tests/lib.sh). A daemon binds to ephemeral loopback ports and says where in
# SPOOL/endpoints.json.
FRD=${FR_BIN%/*}/filmrestored

# start_daemon SPOOL ARGS...: starts filmrestored in the background, logging
# to SPOOL.log; sets DAEMON_PID, REQ and EVENTS once it answers.
start_daemon() {
    local spool=$1; shift
    rm -f "$spool/endpoints.json"
    "$FRD" --spool "$spool" --bind 'tcp://127.0.0.1:*' --publish 'tcp://127.0.0.1:*' "$@" >>"$spool.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 100); do
        [[ -s $spool/endpoints.json ]] && break
        kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$spool.log"; fail "filmrestored exited at start"; }
        sleep 0.1
    done
    [[ -s $spool/endpoints.json ]] || { cat "$spool.log"; fail "filmrestored did not start"; }
    REQ=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$spool/endpoints.json")
    EVENTS=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$spool/endpoints.json")
    export FILMRESTORE_JOBS=$REQ
}

# stop_daemon: SIGTERM, and the daemon must exit 0 (under ASan, a leak fails it)
stop_daemon() {
    [[ -n ${DAEMON_PID:-} ]] || return 0
    local pid=$DAEMON_PID rc=0
    DAEMON_PID=
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || rc=$?
    [[ $rc == 0 ]] || fail "filmrestored exited $rc when stopped"
}

# job_field ID FIELD: one field of a job's status
job_field() { "$FR_BIN" status "$1" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }
