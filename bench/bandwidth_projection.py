#!/usr/bin/python3
"""Bandwidth invariance by projection instead of band-limited training copies (nuisance attribute
projection): in each fold, the top k directions of the differences between the standardised
embeddings of the training whole clips and those of their 8 kHz copies are projected out, and a
logistic regression is trained on the originals only. Compared with no copies and with the copies
as training rows, on the same folds (StratifiedGroupKFold(5) by song, as bench/transfer_search.py).

    genre embed A/audio A/audio-lowrate A/audio-excerpts --model msd-fcn,msd-crnn,jamendo-musicnn --out real.npy
    genre embed B/audio-bandlimited --model msd-fcn,msd-crnn,jamendo-musicnn --out bl.npy
    /usr/bin/python3 bench/bandwidth_projection.py real.npy bl.npy [--k 1,2,4,8,16] [--seeds 0,1,2] [--C 0.1]

B/audio-bandlimited/<label>/<stem>.* are 8 kHz copies of A/audio's clips (the copy pairs with the
file of the same label and stem in a folder named audio). Prints, per fold assignment and variant,
file accuracy per source and how often a test clip's copy gets the same genre as the clip.
"""
import argparse
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler

ap = argparse.ArgumentParser()
ap.add_argument("emb")
ap.add_argument("copies")
ap.add_argument("--k", default="1,2,4,8,16")
ap.add_argument("--seeds", default="0,1,2")
ap.add_argument("--C", type=float, default=0.1)
args = ap.parse_args()


def load(p):
    X = np.load(p).astype(np.float64)
    return X, [l.split("\t")[0] for l in Path(p[:-4] + ".names.txt").read_text().splitlines()]


X, names = load(args.emb)
B, bnames = load(args.copies)
key = lambda f: Path(f).parent.name + "/" + Path(f).stem  # noqa: E731
bidx = {key(f): i for i, f in enumerate(bnames)}
src = np.array([Path(f).parent.parent.name for f in names])
labels = sorted({Path(f).parent.name for f in names})
y = np.array([labels.index(Path(f).parent.name) for f in names])
groups = np.array([Path(f).parent.name + "/" + ".".join(Path(f).name.split(".")[:2]) for f in names])
pair = np.array([bidx.get(key(f), -1) if s == "audio" else -1 for f, s in zip(names, src)])
print(f"{len(names)} files, {(pair >= 0).sum()} with an 8 kHz copy")


def run(mode, k, seed):
    ok = np.zeros(len(y), bool)
    agree = []
    for tr, te in StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(X, y, groups):
        trp = tr[pair[tr] >= 0]
        Xt, yt = X[tr], y[tr]
        if mode == "copies":
            Xt, yt = np.vstack([Xt, B[pair[trp]]]), np.concatenate([yt, y[trp]])
        sc = StandardScaler().fit(Xt)
        P = np.eye(X.shape[1])
        if mode == "projection":
            D = sc.transform(X[trp]) - sc.transform(B[pair[trp]])
            V = np.linalg.svd(D, full_matrices=False)[2][:k].T
            P -= V @ V.T
        clf = LogisticRegression(C=args.C, max_iter=5000).fit(sc.transform(Xt) @ P, yt)
        ok[te] = clf.predict(sc.transform(X[te]) @ P) == y[te]
        tep = te[pair[te] >= 0]
        agree += list(clf.predict(sc.transform(B[pair[tep]]) @ P) == clf.predict(sc.transform(X[tep]) @ P))
    return ok, np.mean(agree)


variants = [("originals only", "none", 0), ("with the copies", "copies", 0)] + \
    [(f"projection, k = {k}", "projection", int(k)) for k in args.k.split(",")]
for seed in [int(s) for s in args.seeds.split(",")]:
    for name, mode, k in variants:
        ok, agree = run(mode, k, seed)
        print(f"seed {seed} | {name} | all {ok.mean():.3f} | " +
              " | ".join(f"{s} {ok[src == s].mean():.3f}" for s in sorted(set(src))) + f" | 8 kHz agreement {agree:.3f}",
              flush=True)
