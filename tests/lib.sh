# tests/e2e/lib.sh: helpers for the end-to-end scripts (sourced, not run).
set -euo pipefail
: "${FR_BIN:?}" "${FR_TMP:?}"
cd "$FR_TMP"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
ff() { ffmpeg -nostdin -v error -y "$@"; }

# Per-frame luma hashes of a file's first video stream, timestamps stripped.
luma_hashes() { ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -vf "extractplanes=y${2:+,format=$2}" -f framemd5 - | grep -v '^#' | awk -F, '{print $6}'; }
# Hash of the n-th stream of a type, copied bit for bit.
stream_hash() { ffmpeg -nostdin -v error -i "$1" -map "0:$2" -c copy -f streamhash -; }
# Presentation timestamps (seconds) of every video frame.
frame_times() { ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 "$1" | sed 's/,.*//' | grep .; }
frame_count() { ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of default=nw=1:nk=1 "$1"; }
same() { cmp -s <(eval "$1") <(eval "$2"); }

# A clip with two hard cuts (at frames 48 and 96) and audio: 132 frames.
make_cuts_clip() {
    ff -f lavfi -i "testsrc2=size=320x240:rate=24" -f lavfi -i "mandelbrot=size=320x240:rate=24" \
       -f lavfi -i "smptebars=size=320x240:rate=24" -f lavfi -i sine=frequency=300:sample_rate=48000 \
       -filter_complex "[0:v]trim=0:2,setpts=PTS-STARTPTS[a];[1:v]trim=0:2,setpts=PTS-STARTPTS[b];[2:v]trim=0:1.5,setpts=PTS-STARTPTS[c];[a][b][c]concat=n=3:v=1[v]" \
       -map "[v]" -map 3:a -t 5.5 -c:v libx264 -pix_fmt yuv420p -c:a flac "$1"
}
# sha256 of the store's datasets that must not depend on ranks or interruptions.
store_digest() {
    "$PYTHON" - "$1" <<'PY'
import hashlib, sys, h5py
f = h5py.File(sys.argv[1], "r", swmr=True)
h = hashlib.sha256()
for name in ("gray", "chroma_raw", "chroma_smoothed", "timestamps", "batches", "shots", "batch_done", "batch_smoothed"):
    h.update(name.encode()); h.update(f[name][()].tobytes())
print(h.hexdigest())
PY
}

# expect_error NAME SUBSTRING ARGS...: filmrestore ARGS must fail with exactly one
# error line ("filmrestore: ..."; progress and log lines start with "[source]")
# that mentions SUBSTRING.
expect_error() {
    local name=$1 want=$2; shift 2
    set +e; "$FR_BIN" "$@" 2>err >/dev/null; local rc=$?; set -e
    [[ $rc != 0 ]] || fail "$name: exit 0"
    [[ $(grep -vc '^\[' err) == 1 && $(grep -c '^filmrestore: ' err) == 1 ]] || { cat err; fail "$name: expected one error line"; }
    grep -qi -- "$want" err || { cat err; fail "$name: message does not mention '$want'"; }
    echo "$name: $(grep -v '^\[' err)"
}
