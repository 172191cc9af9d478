#!/usr/bin/env bash
# shots_cli.sh: `filmrestore shots` on clips made here with known boundaries:
# two hard cuts (one inside a flash-free shot, one after a shot with a 2-frame
# flash), then a 16-frame dissolve; every output format is checked, with each
# boundary's confidence (the CSV's last column) and the review list (--min-confidence).
set -eu
cd "$FR_TMP"
command -v ffmpeg >/dev/null || { echo "ffmpeg not installed"; exit 77; }

# 40 frames of testsrc2 (a 2-frame white flash at 20-21), 40 of mandelbrot, 30 of
# smptehdbars: cuts at 40 and 80, 110 frames at 25 fps.
ffmpeg -nostdin -v error -y \
    -f lavfi -i "testsrc2=size=320x240:rate=25,format=gray,eq=brightness=0.7:enable='between(n,20,21)'" \
    -f lavfi -i "mandelbrot=size=320x240:rate=25,format=gray" \
    -f lavfi -i "smptehdbars=size=320x240:rate=25,format=gray" \
    -filter_complex "[0]trim=end_frame=40,setpts=N/25/TB[a];[1]trim=end_frame=40,setpts=N/25/TB[b];[2]trim=end_frame=30,setpts=N/25/TB[c];[a][b][c]concat=n=3:v=1[v]" \
    -map "[v]" -c:v ffv1 -pix_fmt gray cuts.mkv

"$FR_BIN" shots cuts.mkv > cuts.csv
cat cuts.csv
expected='shot,start_frame,end_frame,start_time,end_time,transition
0,0,40,0.000,1.600,start
1,40,80,1.600,3.200,cut
2,80,110,3.200,4.400,cut'
[[ $(cut -d, -f1-6 cuts.csv) == "$expected" ]] || { echo "FAIL: CSV differs from the expected shots"; exit 1; }
# the confidence column: last, 0..1, 1 for the first shot
$PYTHON - <<'EOF'
import csv
rows = list(csv.DictReader(open("cuts.csv")))
assert list(rows[0])[-1] == "confidence", list(rows[0])
c = [float(r["confidence"]) for r in rows]
assert c[0] == 1 and all(0 <= x <= 1 for x in c), c
EOF
# the review list: only the shots whose boundary is less sure than the threshold, rows as
# in the whole list (same numbers and frames)
"$FR_BIN" shots --min-confidence 0.999 cuts.mkv > review.csv
$PYTHON - <<'EOF'
import csv
full = list(csv.DictReader(open("cuts.csv")))
review = list(csv.DictReader(open("review.csv")))
assert review == [r for r in full if float(r["confidence"]) < 0.999], (review, full)
EOF
"$FR_BIN" shots --min-confidence 0.01 cuts.mkv > review.csv
[[ $(wc -l < review.csv) == 1 ]] || { echo "FAIL: sure cuts listed for review"; cat review.csv; exit 1; }

"$FR_BIN" shots --format json cuts.mkv > cuts.json
$PYTHON - <<'EOF'
import json
d = json.load(open("cuts.json"))
assert d["frames"] == 110 and d["frame_rate"] == "25/1", d
assert [(s["start_frame"], s["end_frame"], s["transition"]) for s in d["shots"]] == \
    [(0, 40, "start"), (40, 80, "cut"), (80, 110, "cut")], d["shots"]
assert all(0 <= s["confidence"] <= 1 for s in d["shots"]), d["shots"]
EOF

"$FR_BIN" shots --format scenedetect -o cuts.scenes.csv cuts.mkv
$PYTHON - <<'EOF'
import csv
rows = list(csv.reader(open("cuts.scenes.csv")))
assert rows[0] == ["Timecode List:", "00:00:01.600", "00:00:03.200"], rows[0]
assert rows[1][:5] == ["Scene Number", "Start Frame", "Start Timecode", "Start Time (seconds)", "End Frame"], rows[1]
assert [(r[0], r[1], r[4], r[7]) for r in rows[2:]] == [("1", "1", "40", "40"), ("2", "41", "80", "40"),
                                                       ("3", "81", "110", "30")], rows[2:]
EOF

"$FR_BIN" shots --format edl cuts.mkv > cuts.edl
cat cuts.edl
grep -q '^TITLE: cuts.mkv$' cuts.edl
grep -q '^FCM: NON-DROP FRAME$' cuts.edl
[[ $(grep -cE '^[0-9]{3}  AX +V +C +' cuts.edl) == 3 ]] || { echo "FAIL: expected 3 EDL events"; exit 1; }
grep -qE '^002  AX +V +C +00:00:01:15 00:00:03:05 00:00:01:15 00:00:03:05$' cuts.edl
[[ $(grep -c '^\* CONFIDENCE: [01]\.[0-9][0-9]$' cuts.edl) == 2 ]] || { echo "FAIL: EDL confidences"; exit 1; }
grep -q '^\* REVIEW' cuts.edl && { echo "FAIL: EDL marks without --min-confidence"; exit 1; }
uncertain=$(awk -F, 'NR > 1 && $7 < 0.999' cuts.csv | wc -l)
"$FR_BIN" shots --format edl --min-confidence 0.999 cuts.mkv > review.edl
[[ $(grep -c '^\* REVIEW: an uncertain cut' review.edl) == "$uncertain" ]] || { echo "FAIL: EDL review marks"; cat review.edl; exit 1; }
[[ $(grep -cE '^[0-9]{3}  AX +V +C +' review.edl) == 3 ]] || { echo "FAIL: the marked EDL lost events"; exit 1; }

# A 16-frame dissolve (xfade) from testsrc2 into mandelbrot, starting at frame 40:
# one gradual boundary near its middle, frame 48.
ffmpeg -nostdin -v error -y \
    -f lavfi -i "testsrc2=size=320x240:rate=25:duration=3.2,format=gray" \
    -f lavfi -i "mandelbrot=size=320x240:rate=25,format=gray,trim=end_frame=60,setpts=N/25/TB" \
    -filter_complex "[0][1]xfade=transition=fade:duration=0.64:offset=1.6,format=gray" \
    -c:v ffv1 -pix_fmt gray dissolve.mkv
"$FR_BIN" shots dissolve.mkv > dissolve.csv
cat dissolve.csv
$PYTHON - <<'EOF'
import csv
rows = list(csv.DictReader(open("dissolve.csv")))
assert len(rows) == 2, rows
assert rows[1]["transition"] == "gradual", rows
assert abs(int(rows[1]["start_frame"]) - 48) <= 4, rows
EOF

# Errors: a bad option value and a missing input.
set +e
"$FR_BIN" shots --cut-ratio 0.5 cuts.mkv 2> err.txt; rc=$?
[[ $rc == 2 ]] && grep -q -- '--cut-ratio' err.txt || { echo "FAIL: bad option gave $rc"; cat err.txt; exit 1; }
"$FR_BIN" shots --format xml cuts.mkv 2> err.txt; rc=$?
[[ $rc == 2 ]] || { echo "FAIL: bad format gave $rc"; exit 1; }
"$FR_BIN" shots nothing-here.mkv 2> err.txt; rc=$?
[[ $rc == 1 ]] && grep -q 'nothing-here.mkv' err.txt || { echo "FAIL: missing input gave $rc"; cat err.txt; exit 1; }
"$FR_BIN" shots --help | grep -q -- '--gradual-threshold' || { echo "FAIL: --help lacks the settings"; exit 1; }
echo "shots CLI: all formats and errors as expected"
