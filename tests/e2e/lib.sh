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
