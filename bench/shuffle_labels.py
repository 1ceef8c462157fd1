#!/usr/bin/env python3
"""A control for `genre train --augment-with`: the same clips under shuffled genre labels.

Usage: shuffle_labels.py SRC DST [--seed 0]

SRC is a folder per genre (e.g. `genre gan sample`'s output). DST gets the same folders, each holding
symbolic links to SRC's files, shuffled (seed) and dealt out to the genres in turn, so that each genre
gets the same share (as `genre gan sample --per-genre N` makes them) and about one clip in ten keeps its
own label. If the added clips help only through their genre, training
with DST helps no more than training without them; if DST helps as much as SRC, the help came from
something else (more steps an epoch, noise as a regulariser).
"""
import argparse
import os
import random
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    genres = sorted(g for g in os.listdir(a.src) if os.path.isdir(os.path.join(a.src, g)))
    files = [(g, f) for g in genres for f in sorted(os.listdir(os.path.join(a.src, g)))]
    random.Random(a.seed).shuffle(files)
    slots = [genres[i % len(genres)] for i in range(len(files))]
    if os.path.exists(a.dst):
        sys.exit(f"shuffle_labels: {a.dst} exists; give a new folder")
    kept = 0
    for (g, f), label in zip(files, slots):
        os.makedirs(os.path.join(a.dst, label), exist_ok=True)
        os.symlink(os.path.abspath(os.path.join(a.src, g, f)), os.path.join(a.dst, label, f"{g}-{f}"))
        kept += g == label
    print(f"{len(files)} clips of {len(genres)} genres dealt out again into {a.dst}; {kept} kept their own label")


if __name__ == "__main__":
    main()
