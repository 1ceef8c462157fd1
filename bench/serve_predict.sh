#!/usr/bin/env bash
# The figures of `genre predict` and `genre serve` in the README (loopback only, bounded):
#  1. cold start for one 30 s file: process start, model load, decode, features, forward pass, against
#     `genre --version` (process start and library loading alone) in the same run;
#  2. peak memory classifying a two-hour file (streamed), against the same run's 30 s file;
#  3. 8 concurrent clients posting 30 s clips to genre serve for 60 s: requests/s, p50/p99, errors,
#     peak RSS; /healthz under the same load as the reference.
# Usage: bench/serve_predict.sh [SECONDS=60]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
G=build/genre
CLIP=tests/data/gtzan/jazz/jazz.00001.flac   # a real 30 s GTZAN clip
SECS=${1:-60}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; kill $SERVER 2>/dev/null || true' EXIT
SERVER=

ms() { local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== 1. cold start (median of 15 runs each)"
for i in 1 2 3; do ms $G predict $CLIP > /dev/null; done   # warm the page cache
V=$(for i in $(seq 15); do ms $G --version; done | median)
P=$(for i in $(seq 15); do ms $G predict $CLIP; done | median)
echo "genre --version: ${V} ms; genre predict (30 s FLAC): ${P} ms; classification beyond process start: $((P - V)) ms"
# The same with a model that needs libtorch (loaded by the plugin on a background thread while the
# clip decodes): a `tiny` CNN trained for one epoch on the shared GTZAN audio, when it is here.
DATA=${GENRE_GTZAN_DIR:-../shared/data/gtzan}
if [[ -d $DATA/audio ]]; then
  $G train --data "$DATA/audio" --model tiny --split fault-filtered --epochs 1 --out "$TMP/tiny" > /dev/null 2>&1
  for i in 1 2 3; do ms $G predict --model "$TMP/tiny/model.genre" $CLIP > /dev/null; done
  T=$(for i in $(seq 15); do ms $G predict --model "$TMP/tiny/model.genre" $CLIP; done | median)
  E=$(for i in $(seq 15); do ms $G evaluate --help; done | median)
  echo "genre predict --model tiny (torch): ${T} ms; genre evaluate --help (process start + loading libtorch): ${E} ms"
fi

echo "== 2. a two-hour file, streamed"
python3 - "$TMP/two_hours.wav" <<'PY'
import struct, sys, math, random
# 2 h of 22050 Hz mono 16-bit noise-modulated tones, written in blocks (317 MB).
sr, secs = 22050, 7200
with open(sys.argv[1], "wb") as f:
    n = sr * secs
    f.write(b"RIFF" + struct.pack("<I", 36 + 2 * n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, sr, 2 * sr, 2, 16))
    f.write(b"data" + struct.pack("<I", 2 * n))
    block = bytearray()
    random.seed(1)
    base = [int(8000 * math.sin(2 * math.pi * 220 * i / sr) + random.randint(-2000, 2000)) for i in range(sr)]
    one_second = struct.pack("<%dh" % sr, *base)
    for s in range(secs):
        f.write(one_second)
PY
for f in $CLIP "$TMP/two_hours.wav"; do
  /usr/bin/time -f "%e s, peak RSS %M KB" -o "$TMP/time" $G predict "$f" > "$TMP/out"
  echo "$(basename "$f"): $(cat "$TMP/out" | cut -c1-80)  [$(cat "$TMP/time")]"
done

# genre features on the same file: a whole-file row (the first --max-duration 480 s), and
# features_3_sec rows for all two hours, computed as the file streams.
for args in "" "--segment 3"; do
  /usr/bin/time -f "%e s, peak RSS %M KB" -o "$TMP/time" $G features "$TMP/two_hours.wav" --format csv $args > "$TMP/out" 2> /dev/null
  echo "genre features ${args:-(whole file)} two_hours.wav: $(($(wc -l < "$TMP/out") - 1)) rows  [$(cat "$TMP/time")]"
done

echo "== 3. genre serve under load: 8 clients, ${SECS} s each run"
$G serve --port 0 2> "$TMP/serve.log" &
SERVER=$!
for i in $(seq 50); do grep -q listening "$TMP/serve.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\)\/.*/\1/p' "$TMP/serve.log")
build/bench/load_serve "$PORT" "$SERVER" $CLIP 8 "$SECS" /healthz
build/bench/load_serve "$PORT" "$SERVER" $CLIP 8 "$SECS" /api/classify
kill -TERM $SERVER; wait $SERVER || true
SERVER=
