#!/usr/bin/env bash
# Issue 24, "References are bounded": the list of references is checked before any picture
# is decoded (names, count, frame range), --max-pixels holds for references, a FIFO is
# refused (it hung the coordinator), in a service run a CSV entry with an absolute path or
# '..' must lie under the roots, and a NUL in a CSV line is named.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i testsrc2=size=160x120:rate=24 -t 2 -c:v libx264 -pix_fmt yuv420p src.mp4
run=(run src.mp4 -o out.mkv --model tint --render-factor 4 --ranks 1)
ff -i src.mp4 -frames:v 1 -s 64x48 good.png

# 1. 4,097 entries of garbage: refused on the count, before any decode, in seconds
mkdir many && printf 'x' > many/000000.png
for i in $(seq 1 4096); do ln many/000000.png "many/$(printf %06d "$i").png"; done
start=$(date +%s)
expect_error count "more than 4096 reference pictures" "${run[@]}" --references many
(( $(date +%s) - start < 30 )) || fail "refusing 4,097 references took too long"

# 2. a frame beyond the film, in a garbage file: the range is refused, not the picture
mkdir far && printf 'x' > far/999999.png
expect_error range "beyond the film" "${run[@]}" --references far

# 3. --max-pixels holds for a reference: a picture larger than the cap is refused from its header
mkdir big && ff -f lavfi -i color=red:size=1280x960 -frames:v 1 big/000010.png
expect_error max-pixels "more than --max-pixels" "${run[@]}" --references big --max-pixels 320x240

# 4. a FIFO as a reference: refused at once (once hung the coordinator)
mkdir fifo && mkfifo fifo/000010.png
expect_error fifo "not a regular file" "${run[@]}" --references fifo

# 5. a NUL inside a CSV line
printf '10,good.png\n20,go\0od.png\n' > nul.csv
expect_error nul "holds a NUL byte" "${run[@]}" --references nul.csv

# 6. in a service run, CSV entries outside the roots (absolute, or through ..) are refused
mkdir -p root outside && cp src.mp4 root/ && cp good.png outside/x.png && cp good.png root/y.png
printf '10,%s/outside/x.png\n' "$PWD" > root/abs.csv
printf '10,../outside/x.png\n' > root/dots.csv
printf '10,y.png\n' > root/ok.csv
export FILMRESTORE_JOB_ROOTS=$PWD/root
svc=(run "$PWD/root/src.mp4" -o "$PWD/root/out.mkv" --model tint --render-factor 4 --ranks 1)
expect_error csv-absolute "outside the service's allowed roots" "${svc[@]}" --references "$PWD/root/abs.csv"
expect_error csv-dots "refused in a service run" "${svc[@]}" --references "$PWD/root/dots.csv"
"$FR_BIN" "${svc[@]}" --references "$PWD/root/ok.csv" 2>err || { cat err; fail "a CSV entry under the root was refused"; }
echo "references: bounded"
