#!/usr/bin/env bash
# Deployment figures of one model (default: the bundled one), loopback only, bounded:
#  1. cold `genre predict` of one 30 s clip (process start, libtorch load, model load, decode,
#     forward pass), median of 5, against `genre evaluate --help` (process start + libtorch load)
#     measured in the same run; then both again with every library libtorch is linked against
#     loaded (GENRE_TORCH_UNUSED_DIR=, no torch-unused placeholders);
#  2. batch throughput: `genre predict --jobs 2` over a folder of 30 s clips, files per second;
#  3. `genre serve` with 8 concurrent clients posting a 30 s clip for SECONDS: requests/s,
#     p50/p99, errors and the server's peak RSS (VmHWM), against /healthz under the same load.
# Usage: bench/deploy.sh [MODEL_FILE] [SECONDS=60] [SERVE_ARGS...]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
G=build/genre
MODEL=${1:-models/genre-default.genre}
SECS=${2:-60}
shift $(( $# > 2 ? 2 : $# ))
DATA=${GENRE_GTZAN_DIR:-../shared/data/gtzan}
CLIPS=$DATA/audio-lossless   # 20 real 30 s clips, when ../shared is here
[[ -d $CLIPS ]] || CLIPS=tests/data/gtzan
CLIP=$(find "$CLIPS" -name '*.flac' | sort | head -1)
TMP=$(mktemp -d)
SERVER=
trap 'rm -rf "$TMP"; [[ -n $SERVER ]] && kill $SERVER 2>/dev/null || true' EXIT

ms() { local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "model: $MODEL ($(du -k "$MODEL" | cut -f1) KB); clip: $CLIP"
echo "== 1. cold predict, median of 5"
for i in 1 2; do ms $G predict --model "$MODEL" "$CLIP" > /dev/null; done   # warm the page cache
E=$(for i in $(seq 5); do ms $G evaluate --help; done | median)
P=$(for i in $(seq 5); do ms $G predict --model "$MODEL" "$CLIP"; done | median)
/usr/bin/time -f "%M" -o "$TMP/rss" $G predict --model "$MODEL" "$CLIP" > /dev/null
echo "cold predict: ${P} ms (peak RSS $(( $(cat "$TMP/rss") / 1024 )) MB); process start + libtorch load alone: ${E} ms"
# The same with every library libtorch is linked against loaded (no torch-unused placeholders).
EA=$(for i in $(seq 5); do GENRE_TORCH_UNUSED_DIR= ms $G evaluate --help; done | median)
PA=$(for i in $(seq 5); do GENRE_TORCH_UNUSED_DIR= ms $G predict --model "$MODEL" "$CLIP"; done | median)
GENRE_TORCH_UNUSED_DIR= /usr/bin/time -f "%M" -o "$TMP/rss" $G predict --model "$MODEL" "$CLIP" > /dev/null
echo "without the placeholders: cold predict ${PA} ms (peak RSS $(( $(cat "$TMP/rss") / 1024 )) MB); process start + libtorch load alone: ${EA} ms"

echo "== 2. batch: predict --jobs 2 over $(find "$CLIPS" -name '*.flac' | wc -l) clips of $CLIPS"
s=$(date +%s%N)
$G predict --model "$MODEL" --jobs 2 "$CLIPS" > "$TMP/batch" 2> /dev/null
e=$(date +%s%N)
n=$(grep -c . "$TMP/batch")
awk -v n="$n" -v ns=$((e - s)) 'BEGIN { printf "%d files in %.1f s: %.2f files/s\n", n, ns / 1e9, n / (ns / 1e9) }'

echo "== 3. genre serve, 8 clients for ${SECS} s"
$G serve --model "$MODEL" --port 0 "$@" 2> "$TMP/serve.log" &
SERVER=$!
for i in $(seq 300); do grep -q listening "$TMP/serve.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\)\/.*/\1/p' "$TMP/serve.log")
build/bench/load_serve "$PORT" "$SERVER" "$CLIP" 8 "$SECS" /api/classify
build/bench/load_serve "$PORT" "$SERVER" "$CLIP" 8 10 /healthz
kill -TERM $SERVER; wait $SERVER || true
SERVER=
