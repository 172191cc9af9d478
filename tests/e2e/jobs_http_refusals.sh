#!/usr/bin/env bash
# The web page's refusals (--http), each against the real daemon over real
# sockets: a non-loopback bind without a token; a wrong or missing token; a
# cross-site POST (Origin, Sec-Fetch-Site, no or wrong CSRF token); a Host that
# is not loopback (DNS rebinding); paths with .. or encoded separators; a 10 MB
# body, with and without Content-Length. Every answer carries the CSP, and the
# job that each refused POST aimed at is untouched.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
ff -f lavfi -i testsrc2=size=96x64:rate=24 -t 1 -c:v libx264 -pix_fmt yuv420p clip.mkv
mkdir -p media

# code METHOD PATH [curl args...]: prints the HTTP code (000: no answer); the
# headers go to h.txt and the body to b.txt
code() {
    local m=$1 p=$2; shift 2
    curl -s --path-as-is -X "$m" -D h.txt -o b.txt -w '%{http_code}' "$@" "$base$p" || true
}
# want CODE METHOD PATH [curl args...]: the answer must have that code and a CSP
want() {
    local w=$1 got; shift
    got=$(code "$@")
    [[ $got == "$w" ]] || { cat h.txt b.txt 2>/dev/null; fail "$*: HTTP $got, not $w"; }
    grep -qi "^Content-Security-Policy: default-src 'none'" h.txt || { cat h.txt; fail "$*: no CSP"; }
    ! grep -q "root:" b.txt || fail "$*: a file from outside the spool came back"
    echo "$*: $got $(head -c 100 b.txt)"
}
# start_http SPOOL ARGS...: the daemon with the page; sets base (http://127.0.0.1:PORT)
start_http() {
    local spool=$1; shift
    rm -f "$spool/http.json"
    start_daemon "$spool" --allow-root "$PWD" --max-running 0 "$@"
    for _ in $(seq 50); do [[ -s $spool/http.json ]] && break; sleep 0.1; done
    local port
    port=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"].rsplit(":", 1)[1].strip("/"))' "$spool/http.json")
    base=http://127.0.0.1:$port
}
one_line() { # one_line NAME SUBSTRING ARGS...: filmrestored ARGS refuses to start with one line
    local name=$1 w=$2; shift 2
    set +e; "$FRD" --spool "$PWD/spool0" --allow-root "$PWD" --bind 'tcp://127.0.0.1:*' --publish 'tcp://127.0.0.1:*' "$@" 2>err >/dev/null; local rc=$?; set -e
    [[ $rc == 2 && $(wc -l <err) == 1 ]] && grep -q -- "$w" err || { cat err; fail "$name: exit $rc"; }
    [[ ! -e spool0/endpoints.json ]] || fail "$name: the daemon bound its sockets before refusing"
    echo "$name: $(cat err)"
}

# 1. off loopback without a token: refused at start, in one line
one_line nontoken "give --http-token" --http 0.0.0.0:0
one_line nontoken6 "give --http-token" --http '[::]:0'
printf 'a-token-long-enough-1234\n' > token; chmod 644 token
one_line readable "others may read it" --http 0.0.0.0:0 --http-token token
chmod 600 token
printf 'short\n' > short; chmod 600 short
one_line shorttoken "16 to 254" --http 127.0.0.1:0 --http-token short
one_line tokenalone "needs --http" --http-token token
one_line badaddr "not an IP address" --http example.org:80

# 2. a token: off loopback it starts; nothing passes without the token
start_http "$PWD/spool" --http 0.0.0.0:0 --http-token token
tok=$(cat token)
id=$("$FR_BIN" submit clip.mkv -o media/a.mkv --model tint --render-factor 4 --ranks 1)
want 401 GET /api/jobs
want 401 GET /api/jobs -H "Authorization: Bearer wrong-token-of-some-length"
want 401 GET /api/jobs -H "Authorization: Bearer ${tok}x"
want 401 GET /api/jobs -H "Authorization: Bearer ${tok%?}"
want 401 GET /api/jobs -H "Cookie: fr_token=wrong"
want 401 GET "/api/jobs/$id/log"
want 401 GET /app.js
want 401 POST "/api/jobs/$id/cancel" -H "Authorization: Bearer wrong-token-of-some-length"
want 401 GET / ; grep -q 'action="/login"' b.txt || fail "no login form without the token"
! grep -q 'name="csrf"' b.txt || fail "the login form shows the CSRF token"
want 401 POST /login --data "token=wrong"
want 200 GET /api/jobs -H "Authorization: Bearer $tok"
grep -q "\"$id\"" b.txt || fail "/api/jobs lacks $id"
want 303 POST /login --data-urlencode "token=$tok"
grep -qi '^Set-Cookie: fr_token=.*HttpOnly; SameSite=Strict' h.txt || { cat h.txt; fail "no strict HttpOnly cookie"; }
want 200 GET / -H "Cookie: fr_token=$tok"
csrf=$(sed -n 's/.*name="csrf" content="\([0-9a-f]*\)".*/\1/p' b.txt)
[[ ${#csrf} == 64 ]] || fail "no CSRF token in the page"
# the right token but no CSRF token: a state change is refused
want 403 POST "/api/jobs/$id/cancel" -H "Authorization: Bearer $tok"
[[ $(job_field "$id" state) == queued ]] || fail "a refused cancel cancelled $id"
want 200 POST "/api/jobs/$id/cancel" -H "Authorization: Bearer $tok" -H "X-CSRF-Token: $csrf"
[[ $(job_field "$id" state) == cancelled ]] || fail "the cancel with token and CSRF token did nothing"
stop_daemon

# 3. loopback, no token: cross-site POSTs, rebinding, paths, sizes
start_http "$PWD/spool" --http 127.0.0.1:0
id=$("$FR_BIN" submit clip.mkv -o media/b.mkv --model tint --render-factor 4 --ranks 1)
want 200 GET /api/csrf
csrf=$("$PYTHON" -c 'import json; print(json.load(open("b.txt"))["csrf"])')
want 403 POST "/api/jobs/$id/cancel"                                        # a plain form post
last=${csrf: -1}; [[ $last == 0 ]] && other=1 || other=0
want 403 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: ${csrf%?}$other"         # one digit off
want 403 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" -H "Origin: http://evil.example"
want 403 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" -H "Origin: null"
want 403 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" -H "Sec-Fetch-Site: cross-site"
want 403 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" -H "Origin: http://evil.example" \
    -H "Content-Type: application/x-www-form-urlencoded" --data "x=1"
want 403 GET /api/jobs -H "Host: evil.example:${base##*:}"                   # DNS rebinding
want 403 GET /api/csrf -H "Host: evil.example"
want 405 DELETE "/api/jobs/$id"
want 405 PUT "/api/jobs/$id"
for p in "/api/jobs/../../../../etc/passwd" "/../../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" \
         "/api/jobs/$id%2f..%2f..%2fjobs%2f$id.json" "/api/jobs/$id%2Flog" "/api/jobs/..%2F..%2Fetc%2Fpasswd" \
         "/api/jobs/$id%5c..%5c..%5cetc%5cpasswd" "//etc/passwd" "/api/jobs/$id/../../jobs/$id.json" \
         "/api/jobs/$id%00/log" "/app.js%00.png" "/api/jobs/%6a000001" "/jobs/$id.json" "/logs/$id.log"; do
    got=$(code GET "$p")
    w=400; [[ $p == /jobs/* || $p == /logs/* ]] && w=404  # plain paths to spool files: no such route
    [[ $got == "$w" ]] || { cat b.txt; fail "GET $p: HTTP $got, not $w"; }
    ! grep -q -e "root:" -e '"spec"' b.txt || fail "GET $p: a file came back"
    echo "GET $p: $got $(head -c 60 b.txt)"
done
want 400 GET "/api/jobs/../../../../etc/passwd"
want 404 GET /api/jobs/j999999
want 404 GET "/api/jobs/$id/nothing"
head -c 10485760 /dev/zero > big
want 413 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" -H "Expect:" --data-binary @big
want 413 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" --data-binary @big   # Expect: 100-continue
got=$(code POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" -H "Transfer-Encoding: chunked" --data-binary @big)
# 000 or 100 (only the interim 100 Continue): no final answer, the connection was cut
[[ $got == 000 || $got == 100 || $got == 413 ]] || fail "a 10 MB chunked body got HTTP $got"
echo "POST 10 MB chunked: $got (the connection is cut at 64 KiB)"
[[ $(job_field "$id" state) == queued ]] || fail "a refused POST changed $id"
want 200 GET "/api/jobs/$id"
want 200 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf" -H "Origin: $base" -H "Sec-Fetch-Site: same-origin"
[[ $(job_field "$id" state) == cancelled ]] || fail "a same-origin cancel did nothing"
want 409 POST "/api/jobs/$id/cancel" -H "X-CSRF-Token: $csrf"
stop_daemon
echo "ok: every refusal refused"
