#!/usr/bin/python3
"""Short crops of whole clips, for bench/transfer_search.py's '<source>-crops' extras: for every
file SRC/<label>/<stem>.*, N crops of a random 2-3 s length, crop k at a random offset inside the
k-th of N equal stretches of the clip, written as 16-bit WAV at the file's own rate to
OUT/<label>/<stem>.c<k>.wav (seeded: the same crops every run). genre train's --crop-copies makes
fixed-length crops from the middle of each stretch instead.

    /usr/bin/python3 bench/make_crops.py ../shared/data/gtzan/audio /tmp/crops/audio-crops [--n 3] [--seed 0]
"""
import argparse
import random
from pathlib import Path

import soundfile as sf

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("out")
ap.add_argument("--n", type=int, default=3)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
rng = random.Random(args.seed)
written = 0
for f in sorted(Path(args.src).glob("*/*")):
    x, sr = sf.read(f, dtype="float32")
    if x.ndim > 1:
        x = x.mean(1)
    (Path(args.out) / f.parent.name).mkdir(parents=True, exist_ok=True)
    for k in range(args.n):
        length = int(rng.uniform(2.0, 3.0) * sr)
        lo = k * len(x) // args.n
        hi = max(lo, (k + 1) * len(x) // args.n - length)
        start = rng.randint(lo, hi)
        sf.write(Path(args.out) / f.parent.name / f"{f.stem}.c{k}.wav", x[start:start + length], sr, subtype="PCM_16")
        written += 1
print(f"wrote {written} crops to {args.out}")
