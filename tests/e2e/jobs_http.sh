#!/usr/bin/env bash
# The job service's web page in a real browser (Debian's headless Chromium,
# driven by playwright-core from npm; tools/install-playwright puts it in
# build/node): two jobs submitted, the first watched to done with its progress
# bar advancing, its contact sheet and verify opened, the second cancelled from
# the page (filmrestore status agrees) and resubmitted, resuming to done. A
# failure leaves a screenshot in $FR_BUILD/test-screenshots/.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
command -v node >/dev/null && [[ -x ${FR_CHROMIUM:-/usr/bin/chromium} ]] || fail "node or chromium missing (.ci/packages)"
python3 "$FR_ROOT/tools/embed-www" --check || fail "the embedded page is not jobs/www's"
export FR_NODE_DIR=$FR_ROOT/build/node
bash "$FR_ROOT/tools/install-playwright" || fail "cannot install playwright-core"

# Short clips; the default model at render factor 16 runs a few frames a second
# here, so the bar moves between two polls.
ff -f lavfi -i testsrc2=size=160x120:rate=24 -t 2 -c:v libx264 -pix_fmt yuv420p a.mkv
ff -f lavfi -i mandelbrot=size=160x120:rate=24 -t 4 -c:v libx264 -pix_fmt yuv420p b.mkv
mkdir -p media
start_daemon "$PWD/spool" --allow-root "$PWD" --http 127.0.0.1:0
for _ in $(seq 50); do [[ -s spool/http.json ]] && break; sleep 0.1; done
url=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' spool/http.json)
[[ $url =~ ^http://127\.0\.0\.1:[0-9]+/$ ]] || fail "http.json names '$url'"
timeout 400 node "$FR_ROOT/tests/e2e/jobs_http_browser.mjs" "$url" "$FR_ROOT/$FR_BUILD/test-screenshots" \
    "$PWD/a.mkv" "$PWD/b.mkv" "$PWD/media" || fail "the browser test failed (see above)"
stop_daemon
# the resumed job's output is whole: verify it against its sidecar and store
"$FR_BIN" verify media/b.mkv --store media/b.mkv.h5 >/dev/null || fail "the resubmitted job's output does not verify"
