#!/usr/bin/python3
"""Cross-validated accuracy of an ensemble (genre/ensemble.h) from its members' fold evaluations.

Each member was trained on the same k folds (bench/experiments.sh cv: OUT/NAME-fF/, with the test
report OUT/NAME-fF/test/report.json written by `genre evaluate --out`); the ensemble's file
probabilities are the weighted mean of the members', exactly as `genre predict` combines them (each
member's file probabilities being the mean over its own windows). Prints, pooled over the folds,
song-level accuracy (a song's files averaged, as `genre evaluate`'s clip level) and macro F1, and
file-level accuracy per source folder, for each weight of the second member.

    /usr/bin/python3 bench/ensemble_cv.py OUT NAME_A NAME_B [--weights 0,0.1,0.2,0.3] [--per-class W]
"""
import argparse
import glob
import json
import os
from collections import defaultdict

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("a")
ap.add_argument("b")
ap.add_argument("--weights", default="0,0.1,0.2,0.3", help="weights of the second member (the first gets 1 - w)")
ap.add_argument("--per-class", type=float, metavar="W", help="also print song-level precision, recall and F1 per class at this weight")
args = ap.parse_args()


def files_of(name):
    """path -> (song, label, source, probabilities, labels), over every fold of NAME."""
    out = {}
    for report in sorted(glob.glob(os.path.join(args.out, name + "-f*", "test", "report.json"))):
        r = json.load(open(report))
        if "files" not in r:
            raise SystemExit(f"{report}: no per-file probabilities (made by an older genre evaluate)")
        labels = r["clip_level"]["labels"]
        for f in r["files"]:
            out[f["path"]] = (f["song"], f["label"], os.path.basename(f["source"].rstrip("/")), np.array(f["probabilities"]), labels)
    return out


A, B = files_of(args.a), files_of(args.b)
common = sorted(set(A) & set(B))
if not common:
    raise SystemExit("no file is in both members' test reports")
labels = A[common[0]][4]
if B[common[0]][4] != labels:
    raise SystemExit("the members' labels differ")
print(f"{len(common)} files in both ({len(A)} in {args.a}, {len(B)} in {args.b})")
print("| weight of " + args.b + " | songs: accuracy | macro F1 | files | " +
      " | ".join(sorted({A[p][2] for p in common})) + " |")
per_class = None
for w in [float(x) for x in args.weights.split(",")]:
    prob = {p: (1 - w) * A[p][3] + w * B[p][3] for p in common}
    songs = defaultdict(list)
    for p in common:
        songs[A[p][0]].append(prob[p])
    song_label = {A[p][0]: A[p][1] for p in common}
    y = np.array([labels.index(song_label[s]) for s in songs])
    yhat = np.array([int(np.argmax(np.mean(v, 0))) for v in songs.values()])
    f1, rows = [], []
    for c in range(len(labels)):
        tp = np.sum((yhat == c) & (y == c)); fp = np.sum((yhat == c) & (y != c)); fn = np.sum((yhat != c) & (y == c))
        f1.append(0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
        rows.append(f"| {labels[c]} | {tp / max(tp + fp, 1):.3f} | {tp / max(tp + fn, 1):.3f} | {f1[-1]:.3f} | {tp + fn} |")
    if args.per_class is not None and abs(w - args.per_class) < 1e-9:
        per_class = rows
    right = {p: int(np.argmax(prob[p])) == labels.index(A[p][1]) for p in common}
    by_src = defaultdict(list)
    for p in common:
        by_src[A[p][2]].append(right[p])
    print(f"| {w:g} | {np.mean(y == yhat):.3f} ({len(y)} songs) | {np.mean(f1):.3f} | {np.mean(list(right.values())):.3f} | " +
          " | ".join(f"{np.mean(by_src[s]):.3f} ({len(by_src[s])})" for s in sorted(by_src)) + " |")
if args.per_class is not None:
    if per_class is None:
        raise SystemExit(f"--per-class {args.per_class:g}: not one of --weights")
    print(f"\nsong level, weight {args.per_class:g}:\n| class | precision | recall | F1 | songs |\n|---|---|---|---|---|")
    print("\n".join(per_class))
