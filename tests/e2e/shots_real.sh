#!/usr/bin/env bash
# shots_real.sh: `filmrestore shots` on real films with known cuts: the bundled
# 1906 film (samples/calais-1906.ogv: one cut, at frame 81, through heavy flicker
# and grain), and opencv-doc's Megamind.avi (cuts at frames 98, 154 and 200) when
# that package is installed; the trailer is read in place, never copied.
set -eu
sample=$FR_ROOT/samples/calais-1906.ogv
[[ -f $sample ]] || { echo "samples/calais-1906.ogv missing"; exit 77; }
"$FR_BIN" shots "$sample" > "$FR_TMP/calais.csv"
cat "$FR_TMP/calais.csv"
cuts=$(tail -n +2 "$FR_TMP/calais.csv" | awk -F, '$6 != "start" {print $2 ":" $6}' | tr '\n' ' ')
[[ $cuts == "81:cut " ]] || { echo "FAIL: 1906 film: expected one cut at 81, got '$cuts'"; exit 1; }

mm=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
if [[ -f $mm ]]; then
    "$FR_BIN" shots "$mm" > "$FR_TMP/mm.csv"
    cat "$FR_TMP/mm.csv"
    $PYTHON - "$FR_TMP/mm.csv" <<'PY'
import csv, sys
got = [int(r["start_frame"]) for r in csv.DictReader(open(sys.argv[1])) if r["transition"] != "start"]
want = [98, 154, 200]
assert len(got) == len(want) and all(abs(g - w) <= 1 for g, w in zip(got, want)), got
PY
else
    echo "opencv-doc not installed: Megamind.avi not checked"
fi
echo "real films: boundaries as expected"
