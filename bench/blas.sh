#!/usr/bin/env bash
# How much the BLAS matters: genre's training step (bench_train: forward, cross-entropy, backward,
# Adam) per epoch of 64 examples, batch 32, 2 threads, median of 3 epochs, for the LSTM on MFCC
# (1x20x173) and cnn3 on log-mel (1x128x173), once on Debian's reference BLAS and once on
# OpenBLAS, in the same run. Each run picks its BLAS with LD_LIBRARY_PATH, whatever
# update-alternatives says. Needs scripts/setup.sh --openblas and a build (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
LIB=/usr/lib/x86_64-linux-gnu
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| model | reference BLAS (libblas3) | OpenBLAS (libopenblas0-pthread) | speed-up |"
echo "|---|---|---|---|"
for spec in "lstm 20" "cnn3 128"; do
  set -- $spec
  ref=$(LD_LIBRARY_PATH=$LIB/blas build/bench/bench_train "$1" 64 32 2 3 "$2" | median)
  opt=$(LD_LIBRARY_PATH=$LIB/openblas-pthread build/bench/bench_train "$1" 64 32 2 3 "$2" | median)
  echo "| $1 (1x$2x173) | $ref s | $opt s | $(awk -v a="$ref" -v b="$opt" 'BEGIN {printf "%.1fx", a / b}') |"
done
