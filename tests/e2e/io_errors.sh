#!/usr/bin/env bash
# Bad input and bad output paths: each gives one error line on stderr, a
# non-zero exit, and no output file (not even a temporary one). Runs use the
# default distributed path (mpirun with node ranks).
source "$(dirname "$0")/../lib.sh"

ff -f lavfi -i testsrc2=size=320x240:rate=24 -f lavfi -i sine=frequency=440 -t 3 -c:v libx264 -c:a flac good.mkv
ff -f lavfi -i testsrc2=size=320x240:rate=24 -t 3 -c:v libx264 -movflags +faststart good.mp4
size=$(stat -c %s good.mkv); head -c $((size / 2)) good.mkv > truncated.mkv
size=$(stat -c %s good.mp4); head -c $((size * 2 / 3)) good.mp4 > truncated.mp4
head -c 200000 /dev/urandom > garbage.mkv
ff -f lavfi -i sine=frequency=440 -t 1 -c:a flac audio_only.mkv
# corrupt the middle of the video bitstream
cp good.mkv corrupt.mkv
printf '%*s' 4000 '' | tr ' ' 'Z' | dd of=corrupt.mkv bs=1 seek=$((size / 3)) conv=notrunc status=none

expect_error truncated-mkv truncat run truncated.mkv -o out1.mkv --model gray
expect_error truncated-mp4 truncated.mp4 run truncated.mp4 -o out2.mkv --model gray
expect_error garbage garbage.mkv run garbage.mkv -o out3.mkv --model gray
expect_error missing "no such file" run missing.mkv -o out4.mkv --model gray
expect_error no-video "no video stream" run audio_only.mkv -o out5.mkv --model gray
expect_error corrupt corrupt run corrupt.mkv -o out6.mkv --model gray
expect_error unwritable "cannot write" run good.mkv -o /nonexistent/dir/out.mkv --model gray
expect_error directory "directory" run good.mkv -o "$FR_TMP" --model gray
expect_error bad-ext "container" run good.mkv -o out.xyz --model gray
expect_error bad-option "render-factor" run good.mkv -o out7.mkv --render-factor 0
expect_error probe-missing "no such file" probe missing.mkv
ls out*.mkv .out* 2>/dev/null && fail "an output file was left behind"
echo ok
