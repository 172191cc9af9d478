#!/usr/bin/env bash
# `filmrestore probe` prints valid JSON with the fields a studio engineer needs.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i testsrc2=size=320x240:rate=30000/1001 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 1 \
   -c:v ffv1 -pix_fmt yuv422p10le -color_range tv -colorspace bt709 -c:a flac clip.mkv
"$FR_BIN" probe clip.mkv > probe.json
"$PYTHON" - <<'PY'
import json
d = json.load(open("probe.json"))
v = d["streams"][d["video_stream"]]
checks = {
    "width": (v["width"], 320), "height": (v["height"], 240), "codec": (v["codec"], "ffv1"),
    "frame_rate": (v["frame_rate"], "30000/1001"), "bits": (v["bits_per_sample"], 10),
    "pix_fmt": (v["pix_fmt"], "yuv422p10le"), "range": (v["color_range"], "tv"),
    "space": (v["color_space"], "bt709"), "audio": (len(d["audio_streams"]), 1),
}
bad = {k: got for k, (got, want) in checks.items() if got != want}
assert not bad, f"unexpected probe fields: {bad}"
a = d["streams"][d["audio_streams"][0]]
assert a["sample_rate"] == 48000 and a["channels"] == 1, a
assert abs(d["duration"] - 1.0) < 0.1, d["duration"]
PY
echo ok
