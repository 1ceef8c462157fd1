#!/usr/bin/env bash
# genre against the reference Python stack (bench/side_by_side.py: Debian's python3-torch, -torchaudio,
# -soundfile, -sklearn), same pretrained network (msd-fcn), same windows (29 s every 14.5 s), same head
# (logistic regression), same files, same run:
#  1. throughput, decoding and resampling included, no cache: genre embed against the Python pipeline,
#     both on one thread (Python as written, then with denormals flushed to zero as genre does), then both on two
#     (genre: --jobs 2, one torch thread each; Python: torch on 2 threads);
#  2. the embeddings of the two sides, file by file: the largest difference, against the Python pipeline as
#     written (float32) and with its front end in float64 (the float32 network on a log-mel without float32
#     rounding in the STFT and mel bands); on the files that differ most, each against the same model in float64;
#  3. accuracy: 5 folds grouped by song (sklearn's StratifiedGroupKFold, written as genre list splits), genre's
#     head (genre train --backbone msd-fcn --model logreg, genre evaluate --part test) against sklearn's on the
#     Python embeddings, the same train and test songs.
# Usage: bench/side_by_side.sh [FILES=0 (all of ../shared/data/gtzan/audio; N: every k-th, N in all)]
set -euo pipefail
cd "$(dirname "$0")/.."
G=$PWD/build/genre
PY=/usr/bin/python3
DATA=${GENRE_GTZAN_DIR:-../shared/data/gtzan}
export GENRE_WEIGHTS_DIR=${GENRE_WEIGHTS_DIR:-../shared/weights}
N=${1:-0}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

find "$(realpath "$DATA/audio")" -name '*.ogg' | sort > "$TMP/all.txt"
if (( N > 0 )); then
  awk -v n="$N" -v t="$(wc -l < "$TMP/all.txt")" 'NR % int(t / n) == 1 && c < n { print; c++ }' "$TMP/all.txt" > "$TMP/files.txt"
else
  cp "$TMP/all.txt" "$TMP/files.txt"
fi
mapfile -t FILES < "$TMP/files.txt"
echo "files: ${#FILES[@]} of $DATA/audio (30 s GTZAN clips, Ogg Vorbis at 22050 Hz)"

secs() { local s e; s=$(date +%s%N); "$@" > "$TMP/last.log" 2>&1 || { cat "$TMP/last.log"; exit 1; }; e=$(date +%s%N); echo "$(( (e - s) / 1000000 ))"; }
rate() { awk -v n="${#FILES[@]}" -v ms="$1" 'BEGIN { printf "%.2f files/s (%.1f s)", n / (ms / 1000), ms / 1000 }'; }

echo "== 1. throughput, msd-fcn embeddings of every file"
g1=$(OMP_NUM_THREADS=1 secs "$G" embed "${FILES[@]}" --model msd-fcn --cache none --jobs 1 --out "$TMP/genre.npy")
p1=$(OMP_NUM_THREADS=1 secs $PY bench/side_by_side.py embed "$TMP/files.txt" "$TMP/python.npy" 1)
grep -h "python FCN" "$TMP/last.log"
echo "1 thread:  genre $(rate "$g1"), python $(rate "$p1"): genre $(awk -v a="$p1" -v b="$g1" 'BEGIN { printf "%.2f", a / b }')x"
p1f=$(OMP_NUM_THREADS=1 secs $PY bench/side_by_side.py embed "$TMP/files.txt" "$TMP/python-flush.npy" 1 --flush-denormal)
echo "1 thread:  python with torch.set_flush_denormal(True) as genre: $(rate "$p1f"): genre $(awk -v a="$p1f" -v b="$g1" 'BEGIN { printf "%.2f", a / b }')x"
g2=$(OMP_NUM_THREADS=1 secs "$G" embed "${FILES[@]}" --model msd-fcn --cache none --jobs 2 --out "$TMP/genre2.npy")
p2=$(secs $PY bench/side_by_side.py embed "$TMP/files.txt" "$TMP/python2.npy" 2)
echo "2 threads: genre $(rate "$g2"), python $(rate "$p2"): genre $(awk -v a="$p2" -v b="$g2" 'BEGIN { printf "%.2f", a / b }')x"
p64=$(secs $PY bench/side_by_side.py embed "$TMP/files.txt" "$TMP/python-f64.npy" 2 --front-end-f64)
echo "2 threads: python with its front end in float64 (for the embeddings below): $(rate "$p64")"

echo "== 2. embeddings, genre against python"
$PY - "$TMP" <<'EOF'
import sys
from pathlib import Path
import numpy as np
t = Path(sys.argv[1])
files = (t / "files.txt").read_text().splitlines()
names = [l.split("\t")[0] for l in (t / "genre.names.txt").read_text().splitlines()]
g = np.load(t / "genre.npy")[[names.index(f) for f in files]]
for name, what in (("python.npy", "python as written (float32)"), ("python-f64.npy", "python, front end in float64")):
    p = np.load(t / name)
    d = np.abs(g - p)
    print(f"{what}: {len(files)} files x {g.shape[1]} dims: largest difference {d.max():.2e} "
          f"(file {files[int(d.max(1).argmax())].split('/')[-1]}), mean {d.mean():.2e}; embeddings' own scale (sd) "
          f"{p.std():.3f}; files within 1e-4: {int((d.max(1) <= 1e-4).sum())}")
print(f"the two genre runs (--jobs 1 and 2) differ by {np.abs(np.load(t / 'genre.npy') - np.load(t / 'genre2.npy')).max():.1e}")
EOF
# genre's names file lists the files in the order given, as files.txt
cmp -s <(cut -f1 "$TMP/genre.names.txt") "$TMP/files.txt" || { echo "genre embed reordered the files"; exit 1; }
$PY bench/side_by_side.py exact "$TMP/files.txt" "$TMP/genre.npy" "$TMP/python.npy" "$TMP/python-f64.npy"

echo "== 3. accuracy, 5 song-grouped folds, the same train and test songs on both sides"
$PY bench/side_by_side.py folds "$TMP/files.txt" "$TMP/folds"
correct=0
for f in 0 1 2 3 4; do
  "$G" train --data "$DATA/audio" --backbone msd-fcn --model logreg --split "$TMP/folds/fold$f.txt" --lr 1e-3 \
    --epochs 200 --patience 20 --batch-size 32 --cache "$TMP/cache" --out "$TMP/run$f" > "$TMP/train$f.log" 2>&1
  "$G" evaluate --model "$TMP/run$f/model.genre" --part test --cache "$TMP/cache" --out "$TMP/eval$f" > "$TMP/eval$f.log" 2>&1
  read -r acc n < <($PY -c "import json,sys; j=json.load(open(sys.argv[1]))['clip_level']; print(j['accuracy'], j['n'])" "$TMP/eval$f/report.json")
  correct=$(awk -v c="$correct" -v a="$acc" -v n="$n" 'BEGIN { printf "%d", c + a * n + 0.5 }')
  echo "genre head fold $f: $acc"
done
echo "genre head, 5 folds pooled: $(awk -v c="$correct" -v n="${#FILES[@]}" 'BEGIN { printf "%.3f", c / n }') accuracy ($correct/${#FILES[@]})"
$PY bench/side_by_side.py head "$TMP/files.txt" "$TMP/python.npy" "$TMP/folds"
