#!/usr/bin/python3
"""Song-grouped 5-fold cross-validation of heads on genre's per-window embeddings, to choose the
bundled model: pooling over windows, regularisation, backbones, window-level training.

    genre embed DIR1 DIR2 ... [BANDLIMITED] --model NAME[,NAME...] --per-window --out emb.npy
    /usr/bin/python3 bench/transfer_search.py emb.npy [--dims NAME:D,NAME:D...] [--subsets A+B,A+B+C...]

emb.npy rows are windows (emb.names.txt: file <TAB> start); a file's label is its parent folder,
its song '<label>/<stem>', its source the folder above. Folds are StratifiedGroupKFold(5) by song
over the files, the same folds for every variant. --dims names the column blocks of each backbone
(in the order of --model) so that subsets of backbones can be compared. Files under a folder
named '<source>-bandlimited' (e.g. audio-bandlimited: 8 kHz copies of audio/) are copies of the
files of <source>: they are added to the training folds of their song only, never tested, and the
agreement between a test file and its copy is reported.
"""
import argparse
import itertools
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler


def load(path):
    X = np.load(path).astype(np.float64)
    rows = [l.split("\t") for l in Path(path[:-4] + ".names.txt").read_text().splitlines()]
    files = [r[0] for r in rows]
    return X, files


def file_key(f):
    p = Path(f)
    return p.parent.parent.name + "/" + p.parent.name + "/" + p.stem


ap = argparse.ArgumentParser()
ap.add_argument("emb")
ap.add_argument("--dims", default="")
ap.add_argument("--C", default="0.03,0.1,0.3,1")
ap.add_argument("--subsets", default="", help="only these backbone sets, e.g. 'fcn+crnn+musicnn,fcn+musicnn' "
                "(mean pooling; trained with the band-limited copies when there are any)")
args = ap.parse_args()

Xw, wfiles = load(args.emb)
allkeys = [file_key(f) for f in wfiles]
is_copy = np.array(["-bandlimited/" in k for k in allkeys])
Xa, akeys_raw = Xw[is_copy], [k.replace("-bandlimited/", "/") for k, c in zip(allkeys, is_copy) if c]
Xw = Xw[~is_copy]
keys = [k for k, c in zip(allkeys, is_copy) if not c]
order = list(dict.fromkeys(keys))  # files in first-seen order
index = {k: i for i, k in enumerate(order)}
wfile = np.array([index[k] for k in keys])
labels = [k.split("/")[1] for k in order]
sources = [k.split("/")[0] for k in order]
songs = [k.split("/")[1] + "/" + k.split("/")[2] for k in order]
classes = sorted(set(labels))
y = np.array([classes.index(l) for l in labels])
folds = list(StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(len(y)), y, songs))

aug = (Xa, np.array([index.get(k, -1) for k in akeys_raw])) if len(Xa) else None

blocks = {}
if args.dims:
    start = 0
    for part in args.dims.split(","):
        name, d = part.split(":")
        blocks[name] = (start, start + int(d))
        start += int(d)


def pool(X, how):
    n = len(order)
    out = []
    for i in range(n):
        w = X[wfile == i]
        if how == "mean":
            out.append(w.mean(0))
        elif how == "meanstd":
            out.append(np.concatenate([w.mean(0), w.std(0)]))
    return np.array(out)


def report(name, pred):
    by = defaultdict(list)
    for s, a, b in zip(sources, y, pred):
        by[s].append(a == b)
    parts = " ".join(f"{s} {np.mean(v):.3f}" for s, v in sorted(by.items()))
    print(f"{name:55s} all {np.mean(pred == y):.3f} F1 {f1_score(y, pred, average='macro'):.3f} | {parts}", flush=True)


def cols(subset):
    if not subset:
        return slice(None)
    idx = np.concatenate([np.arange(*blocks[b]) for b in subset])
    return idx


def copies_mean(copies, cols_):
    Xa, akeys = copies
    return {i: Xa[akeys == i][:, cols_].mean(0) for i in set(akeys.tolist()) if i >= 0}


def cv_files(X, C, copies=None, cols_=None, train_on_copies=False):
    """Trains on files (pooled windows). With copies: reports how often a test file's band-limited
    copy gets the original's label (and the right one), and with train_on_copies adds the copies
    of the training fold's files to its training data."""
    pred = np.zeros_like(y)
    agree, right = [], []
    cm = copies_mean(copies, cols_) if copies is not None else {}
    for tr, te in folds:
        Xtr, ytr = X[tr], y[tr]
        if train_on_copies:
            tr_copy = [i for i in tr if i in cm]
            Xtr = np.vstack([Xtr, [cm[i] for i in tr_copy]])
            ytr = np.concatenate([ytr, y[tr_copy]])
        sc = StandardScaler().fit(Xtr)
        m = LogisticRegression(C=C, max_iter=5000).fit(sc.transform(Xtr), ytr)
        pred[te] = m.predict(sc.transform(X[te]))
        te_copy = [i for i in te if i in cm]
        if te_copy:
            p = m.predict(sc.transform(np.array([cm[i] for i in te_copy])))
            agree.extend(p == pred[te_copy])
            right.extend(p == y[te_copy])
    if agree:
        print(f"    8 kHz copies of test files: same label as the original {np.mean(agree):.3f}, right {np.mean(right):.3f}")
    return pred


def cv_windows(Xw_, C):
    """Trains on windows (each labelled with its file's label); a file's prediction is the mean of its windows' probabilities."""
    pred = np.zeros_like(y)
    for tr, te in folds:
        trw = np.isin(wfile, tr)
        sc = StandardScaler().fit(Xw_[trw])
        m = LogisticRegression(C=C, max_iter=5000).fit(sc.transform(Xw_[trw]), y[wfile[trw]])
        p = m.predict_proba(sc.transform(Xw_))
        for i in te:
            pred[i] = p[wfile == i].mean(0).argmax()
    return pred


Cs = [float(c) for c in args.C.split(",")]
if args.subsets:
    print(f"{len(order)} files, {len(Xw)} windows, {Xw.shape[1]}-d")
    for tag in args.subsets.split(","):
        c = cols(tag.split("+"))
        for C in Cs:
            pred = cv_files(pool(Xw[:, c], "mean"), C, copies=aug, cols_=c, train_on_copies=aug is not None)
            report(f"{tag} mean{' + band-limited copies' if aug is not None else ''} C={C}", pred)
    raise SystemExit
subsets = [()]
if blocks:
    names = list(blocks)
    subsets = [s for r in range(1, len(names) + 1) for s in itertools.combinations(names, r)]
print(f"{len(order)} files, {len(Xw)} windows, {Xw.shape[1]}-d")
for subset in subsets:
    c = cols(subset)
    tag = "+".join(subset) if subset else "all"
    for C in Cs:
        report(f"{tag} mean C={C}", cv_files(pool(Xw[:, c], "mean"), C, copies=aug, cols_=c))
    if len(subset) == len(blocks):
        for C in Cs:
            report(f"{tag} mean+std C={C}", cv_files(pool(Xw[:, c], "meanstd"), C))
        for C in Cs:
            report(f"{tag} windows C={C}", cv_windows(Xw[:, c], C))
        if aug is not None:
            for C in Cs:
                pred = cv_files(pool(Xw[:, c], "mean"), C, copies=aug, cols_=c, train_on_copies=True)
                report(f"{tag} mean + band-limited copies C={C}", pred)
