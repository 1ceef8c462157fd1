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
EPOCHS=${2:-3}
mkdir -p "$OUT"
rm -f "$OUT/figures.txt"
common=(--data "$DATA" --split stratified:100/0/0 --chunk-hop 4 --lr 1e-3 --seed 1 --cache "$OUT/cache")

# The median epoch's seconds, the first epoch left out (it also pays for first-touch allocations).
last_epoch() { sed -n 's/^epoch *[0-9]* .* \([0-9.]*\) s$/\1/p' "$1" | tail -n +2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| model | 1 process x 2 threads, batch 32: s/epoch | 2 ranks x 1 thread, batch 16 each: s/epoch | speed-up | all-reduce per step, wait for the slower rank included | fastest step's all-reduce | gradient bytes per step | steps per epoch |"
echo "|---|---|---|---|---|---|---|---|"
for model in cnn3 densenet-small; do
  # Fill the feature cache first, so that neither timed run computes features.
  $G train "${common[@]}" --model "$model" --epochs 1 --batch-size 32 --threads 2 --out "$OUT/$model-warm" > "$OUT/$model-warm.log" 2>&1
  $G train "${common[@]}" --model "$model" --epochs "$EPOCHS" --batch-size 32 --threads 2 --out "$OUT/$model-one" > "$OUT/$model-one.log" 2>&1
  $G train "${common[@]}" --model "$model" --epochs "$EPOCHS" --batch-size 16 --threads 1 --nproc 2 --out "$OUT/$model-two" > "$OUT/$model-two.log" 2>&1
  one=$(last_epoch "$OUT/$model-one.log")
  two=$(last_epoch "$OUT/$model-two.log")
  line=$(grep '^all-reduce:' "$OUT/$model-two.log")
  mean=$(sed -n 's/.*calls; \([0-9.]*\) ms per step.*/\1/p' <<< "$line")
  ms=$(sed -n 's/.*, \([0-9.]*\) ms in the fastest step.*/\1/p' <<< "$line")
  mb=$(sed -n 's/.*ranks, \([0-9.]*\) MB of gradients.*/\1/p' <<< "$line")
  steps=$(sed -n 's/.*(\([0-9]*\) steps).*/\1/p' <<< "$line")
  steps=$((steps / EPOCHS))
  echo "| $model | $one | $two | $(awk -v a="$one" -v b="$two" 'BEGIN{printf "%.2fx", a/b}') | $mean ms | $ms ms | $mb MB | $steps |"
  echo "$model $one $two $mean $ms $mb $steps" >> "$OUT/figures.txt"
done

# The scaling model. Compute per example: the 2-rank step time less its fastest all-reduce, over
# 16 examples (one core's work). Network: a ring all-reduce moves 2 (N - 1) / N x the gradient
# bytes at 10 Gbit/s and takes 2 (N - 1) latency hops of 50 us. Two ways to add machines: each
# keeps 16 examples (global batch 16 N, fewer steps per epoch), or the global batch stays 32
# (32 / N examples each, as many steps). --accumulate K multiplies the examples per all-reduce by K.
echo
echo "Scaling model (compute from the 2-rank run; ring all-reduce at 10 Gbit/s, 50 us a hop):"
while read -r model one two mean ms mb steps; do
  awk -v m="$model" -v two="$two" -v ms="$ms" -v mb="$mb" -v steps="$steps" 'BEGIN {
    per_example = (two / steps - ms / 1000) / 16;
    printf "%s: %.1f ms of compute per example on one core, %.2f MB of gradients per all-reduce\n", m, 1000 * per_example, mb;
    printf "  | N | all-reduce | efficiency, 16 examples per rank | efficiency, global batch 32 |\n  |---|---|---|---|\n";
    for (n = 2; n <= 32; n *= 2) {
      comm = 2 * (n - 1) / n * mb * 1e6 / 1.25e9 + 2 * (n - 1) * 50e-6;
      weak = 16 * per_example; strong = 32 / n * per_example;
      printf "  | %d | %.2f ms | %.0f%% | %.0f%% |\n", n, 1000 * comm, 100 * weak / (weak + comm), 100 * strong / (strong + comm);
    }
  }'
done < "$OUT/figures.txt"
