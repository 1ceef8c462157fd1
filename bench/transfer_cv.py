#!/usr/bin/python3
"""Song-grouped 5-fold cross-validation of a logistic-regression head on genre's embeddings, per source.

    genre embed DIR1 DIR2 ... --model msd-fcn,msd-crnn,jamendo-musicnn --out emb.npy
    /usr/bin/python3 bench/transfer_cv.py emb.npy [C]

Rows are files (the mean over each file's windows); a file's label is its parent folder, its song
'<label>/<stem>', its source the folder above (audio, audio-lowrate, audio-excerpts). Folds are
stratified by label and grouped by song (sklearn StratifiedGroupKFold), so no song spans two folds.
The head is standardisation + multinomial logistic regression, as genre's logreg head.
"""
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

path = sys.argv[1]
C = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
X = np.load(path)
names = [l.split("\t")[0] for l in Path(path[:-4] + ".names.txt").read_text().splitlines()]
labels = [Path(n).parent.name for n in names]
songs = [l + "/" + Path(n).stem for l, n in zip(labels, names)]
sources = [Path(n).parent.parent.name for n in names]
classes = sorted(set(labels))
y = np.array([classes.index(l) for l in labels])
pred = np.zeros_like(y)
for train, test in StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0).split(X, y, songs):
    head = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000))
    head.fit(X[train], y[train])
    pred[test] = head.predict(X[test])
by = defaultdict(list)
for s, a, b in zip(sources, y, pred):
    by[s].append(a == b)
print(f"{path}: {X.shape[0]} files, {X.shape[1]}-d, C={C}")
print(f"  all files: accuracy {np.mean(pred == y):.3f}, macro F1 {f1_score(y, pred, average='macro'):.3f}")
for s in sorted(by):
    print(f"  {s}: accuracy {np.mean(by[s]):.3f} ({len(by[s])} files)")
from sklearn.metrics import precision_recall_fscore_support
p, r, f, n = precision_recall_fscore_support(y, pred)
print("  | class | precision | recall | F1 | files |")
for i, c in enumerate(classes):
    print(f"  | {c} | {p[i]:.3f} | {r[i]:.3f} | {f[i]:.3f} | {n[i]} |")
