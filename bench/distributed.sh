#!/usr/bin/env bash
# Data-parallel training on this machine: the epoch time of one process with 2 threads against
# 2 ranks (genre train --nproc 2, c10d + Gloo on loopback) with 1 thread each, at the same global
# batch (1 x 32 against 2 x 16), for cnn3 (log-mel) and densenet-small (log-mel + STFT) on the
# shared audio, with the all-reduce time and bytes per step that rank 0 reports. Then the on-paper
# scaling model of the README for N machines on a 10 Gbit/s network.
# Usage: bench/distributed.sh [OUT_DIR] [EPOCHS]   (needs a build and ../shared; about 10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
G=${GENRE_BIN:-build/genre}
DATA=${GENRE_GTZAN_DIR:-../shared/data/gtzan}/audio
OUT=${1:-/tmp/genre-bench-distributed}
EPOCHS=${2:-2}
mkdir -p "$OUT"
common=(--data "$DATA" --split stratified:100/0/0 --epochs "$EPOCHS" --chunk-hop 4 --lr 1e-3 --seed 1 --cache "$OUT/cache")

# The last epoch's seconds (the first also pays for first-touch allocations).
last_epoch() { sed -n 's/^epoch *[0-9]* .* \([0-9.]*\) s$/\1/p' "$1" | tail -1; }

echo "| model | 1 process x 2 threads, batch 32: s/epoch | 2 ranks x 1 thread, batch 16 each: s/epoch | ratio | all-reduce per step | gradient bytes per step | steps per epoch |"
echo "|---|---|---|---|---|---|---|"
for model in cnn3 densenet-small; do
  # Fill the feature cache first, so that neither timed run computes features.
  $G train "${common[@]}" --model "$model" --epochs 1 --batch-size 32 --threads 2 --out "$OUT/$model-warm" > "$OUT/$model-warm.log" 2>&1
  $G train "${common[@]}" --model "$model" --batch-size 32 --threads 2 --out "$OUT/$model-one" > "$OUT/$model-one.log" 2>&1
  $G train "${common[@]}" --model "$model" --batch-size 16 --threads 1 --nproc 2 --out "$OUT/$model-two" > "$OUT/$model-two.log" 2>&1
  one=$(last_epoch "$OUT/$model-one.log")
  two=$(last_epoch "$OUT/$model-two.log")
  line=$(grep '^all-reduce:' "$OUT/$model-two.log")
  ms=$(sed -n 's/.*, \([0-9.]*\) ms and.*/\1/p' <<< "$line")
  mb=$(sed -n 's/.* and \([0-9.]*\) MB of gradients.*/\1/p' <<< "$line")
  steps=$(sed -n 's/.*(\([0-9]*\) steps,.*/\1/p' <<< "$line")
  steps=$((steps / EPOCHS))
  echo "| $model | $one | $two | $(awk -v a="$one" -v b="$two" 'BEGIN{printf "%.2fx", a/b}') | $ms ms | $mb MB | $steps |"
  echo "$model $one $two $ms $mb $steps" >> "$OUT/figures.txt"
done

# The scaling model: N machines, each computing its share of a step (the 2-rank step time less
# its all-reduce, as if it had the machine to itself) and then a ring all-reduce of the gradient
# bytes: 2 (N - 1) / N x bytes at 10 Gbit/s, plus 2 (N - 1) latency hops of 50 us per bucket call.
echo
echo "Scaling model (per step; compute from the 2-rank run, network 10 Gbit/s, 50 us a hop):"
while read -r model one two ms mb steps; do
  awk -v m="$model" -v two="$two" -v ms="$ms" -v mb="$mb" -v steps="$steps" 'BEGIN {
    step = two / steps;                   # seconds per step with 2 local ranks
    compute = step - ms / 1000;           # of which computation
    printf "%s: compute %.1f ms per step, %.2f MB of gradients\n", m, 1000 * compute, mb;
    for (n = 2; n <= 64; n *= 2) {
      comm = 2 * (n - 1) / n * mb * 1e6 / 1.25e9 + 2 * (n - 1) * 50e-6;
      printf "  N = %2d: all-reduce %.2f ms, efficiency %.0f%%\n", n, 1000 * comm, 100 * compute / (compute + comm);
    }
  }'
done < "$OUT/figures.txt"
rm -f "$OUT/figures.txt"
