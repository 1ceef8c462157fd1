#!/usr/bin/python3
"""Song-grouped 5-fold cross-validation of heads on genre's per-window embeddings, to choose the
bundled model: pooling over windows, regularisation, backbones, window-level training, training-only
extras (band-limited copies, short crops).

    genre embed DIR1 DIR2 ... [EXTRAS] --model NAME[,NAME...] --per-window --out emb.npy
    /usr/bin/python3 bench/transfer_search.py emb.npy [--dims NAME:D,NAME:D...] [--subsets A+B,A+B+C...]
        [--C 0.1,1] [--seeds 0,1,2,3,4] [--extra-weight W] [--project 2,8,16]
        [--heads logreg,lda,lda:0.3,lda-uniform,svm:3,knn:15]
        [--features audio=A.csv,audio-excerpts=E.csv,... --feature-weights 0,0.2,0.4]

--heads (with --subsets): the head family, each on the same standardised rows: logreg (logistic
regression, C from --C), lda (sklearn's LinearDiscriminantAnalysis, lsqr, Ledoit-Wolf shrinkage;
lda:A a fixed shrinkage A; lda-uniform uniform priors), svm:C (RBF SVM), knn:K (K nearest, by
distance). --features: `genre features` tables of each source folder (rows matched by file name);
each fold then also fits logistic regression (C = 1) on the training files' 57 features, and a
file's prediction is (1 - w) x the head's probabilities + w x the features model's, for each w of
--feature-weights (the 8 kHz copies' agreement stays the head's own).

emb.npy rows are windows (emb.names.txt: file <TAB> start); a file's label is its parent folder,
its song '<label>/<stem>', its source the folder above. Folds are StratifiedGroupKFold(5) by song
over the files, the same folds for every variant; --seeds repeats everything with other fold
assignments and adds the mean and spread over them. --dims names the column blocks of each backbone
(in the order of --model) so that subsets of backbones can be compared.

Extras are rows used for training only, never tested: they join the training folds of their song.
- '<source>-bandlimited/<label>/<stem>.*' (e.g. audio-bandlimited: 8 kHz copies of audio/) are
  copies of the files of <source>; how often a test file's copy gets the original's label is reported.
  With --project K they do not train: the K directions in which they move the training files'
  standardised embeddings are projected out of every row instead (nuisance attribute projection;
  K = 0: originals only, the copies still tested).
- '<source>-crops/<label>/<stem>.c<N>.*' are short crops of the song <label>/<stem> (e.g. 2-3 s of a
  whole clip, so that the head also learns from inputs as short as the excerpts).
- '<source>-fromimages/<label>/<stem>.*' are recordings of the song <label>/<stem> made from another
  representation of it (e.g. audio resynthesised from a Kaggle spectrogram image). Those of a song
  with no tested file train every fold.
Without --subsets every subset of --dims is tried with mean pooling, and the full set also with
mean+std pooling, window-level training and the extras; with --subsets only those sets, mean pooling
with the extras.
"""
import argparse
import itertools
import re
from collections import defaultdict
from pathlib import Path

import csv

import numpy as np
from scipy.special import softmax
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler


def load(path):
    X = np.load(path).astype(np.float64)
    rows = [l.split("\t") for l in Path(path[:-4] + ".names.txt").read_text().splitlines()]
    return X, [r[0] for r in rows]


def file_key(f):
    p = Path(f)
    return p.parent.parent.name + "/" + p.parent.name + "/" + p.stem


ap = argparse.ArgumentParser()
ap.add_argument("emb")
ap.add_argument("--dims", default="")
ap.add_argument("--C", default="0.03,0.1,0.3,1")
ap.add_argument("--subsets", default="", help="only these backbone sets, e.g. 'fcn+crnn+musicnn,fcn+musicnn' "
                "(mean pooling; trained with the extras when there are any)")
ap.add_argument("--seeds", default="0", help="fold assignments (StratifiedGroupKFold's random_state), e.g. 0,1,2,3,4")
ap.add_argument("--extra-weight", type=float, default=1.0, help="sample weight of the extras in the head's loss (files: 1)")
ap.add_argument("--project", default="", help="also, for each K (e.g. 2,8,16): the band-limited copies of the training files "
                "not trained on but used to project out the K directions in which they move the standardised embedding "
                "(nuisance attribute projection; 0: the copies are only tested); crops and images still train")
ap.add_argument("--heads", default="logreg", help="with --subsets: logreg, lda, lda:A, lda-uniform, svm:C, knn:K (comma list)")
ap.add_argument("--features", default="", help="SOURCE=CSV,...: genre features tables, for an ensemble with logistic regression on them")
ap.add_argument("--feature-weights", default="0.2", help="with --features: the features model's weights in the ensemble")
args = ap.parse_args()

Xw, wfiles = load(args.emb)
allkeys = [file_key(f) for f in wfiles]
kind = np.array(["copy" if "-bandlimited/" in k else "crop" if "-crops/" in k else "image" if "-fromimages/" in k else "file"
                 for k in allkeys])
keys = [k for k, t in zip(allkeys, kind) if t == "file"]
order = list(dict.fromkeys(keys))  # files in first-seen order
index = {k: i for i, k in enumerate(order)}
wfile = np.array([index[k] for k in keys])
labels = [k.split("/")[1] for k in order]
sources = [k.split("/")[0] for k in order]
songs = [k.split("/")[1] + "/" + k.split("/")[2] for k in order]
classes = sorted(set(labels))
y = np.array([classes.index(l) for l in labels])

# Extras, one row each (their windows pooled): the song they belong to, and for copies the file.
extra_rows = defaultdict(list)
for r, (k, t) in enumerate(zip(allkeys, kind)):
    if t != "file":
        extra_rows[k].append(r)
extra_keys = list(extra_rows)
extra_song = [k.split("/")[1] + "/" + re.sub(r"\.c\d+$", "", k.split("/")[2]) for k in extra_keys]
extra_y = np.array([classes.index(k.split("/")[1]) for k in extra_keys], dtype=int)
extra_copy_of = np.array([index.get(k.replace("-bandlimited/", "/"), -1) if "-bandlimited/" in k else -1 for k in extra_keys], dtype=int)
extra_kinds = sorted(set(kind[kind != "file"]))

blocks = {}
if args.dims:
    start = 0
    for part in args.dims.split(","):
        name, d = part.split(":")
        blocks[name] = (start, start + int(d))
        start += int(d)


def pool(X, how, groups):
    """One row per group of window rows: their mean, or mean and standard deviation."""
    if how == "mean":
        return np.array([X[g].mean(0) for g in groups])
    return np.array([np.concatenate([X[g].mean(0), X[g].std(0)]) for g in groups])


file_rows = np.flatnonzero(kind == "file")  # rows of Xw that are windows of tested files
file_windows = [file_rows[wfile == i] for i in range(len(order))]
extra_windows = [np.array(extra_rows[k]) for k in extra_keys]


def cols(subset):
    if not subset:
        return np.arange(Xw.shape[1])
    return np.concatenate([np.arange(*blocks[b]) for b in subset])


def folds_for(seed):
    return list(StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed).split(np.zeros(len(y)), y, songs))


def make_head(head, C):
    name, _, value = head.partition(":")
    if name == "logreg":
        return LogisticRegression(C=C, max_iter=5000)
    if name in ("lda", "lda-uniform"):
        priors = np.full(len(classes), 1 / len(classes)) if name == "lda-uniform" else None
        return LinearDiscriminantAnalysis(solver="lsqr", shrinkage=float(value) if value else "auto", priors=priors)
    if name == "svm":
        return SVC(C=float(value or 1))
    if name == "knn":
        return KNeighborsClassifier(int(value or 15), weights="distance")
    raise SystemExit(f"unknown head {head}")


def head_probabilities(m, X):
    return softmax(m.decision_function(X), axis=1) if isinstance(m, SVC) else m.predict_proba(X)


def fit_predict(Xtr, ytr, Xte, C, n_extra=0, nuisance=None, head="logreg"):
    """The last n_extra training rows are extras, weighted --extra-weight. nuisance = (k, A, B): the
    k top directions of the standardised differences A - B (rows paired) are projected out of every row."""
    sc = StandardScaler().fit(Xtr)
    w = np.ones(len(Xtr))
    w[len(Xtr) - n_extra:] = args.extra_weight
    P = np.eye(Xtr.shape[1])
    if nuisance:
        k, A, B = nuisance
        V = np.linalg.svd(sc.transform(A) - sc.transform(B), full_matrices=False)[2][:k].T
        P -= V @ V.T
    m = make_head(head, C)
    if head == "logreg":
        m.fit(sc.transform(Xtr) @ P, ytr, sample_weight=w)
    elif args.extra_weight != 1:
        raise SystemExit(f"--extra-weight: {head} takes no sample weights")
    else:
        m.fit(sc.transform(Xtr) @ P, ytr)
    return head_probabilities(m, sc.transform(Xte) @ P)


# --features: each tested file's 57 features (genre features' columns after filename and length).
F = None
if args.features:
    F = np.full((len(order), 57), np.nan)
    for part in args.features.split(","):
        source, path = part.split("=")
        for row in csv.DictReader(open(path)):
            label = row["label"] if "label" in row else row["filename"].split(".")[0]
            key = f"{source}/{label}/{Path(row['filename']).stem}"
            if key in index:
                F[index[key]] = [float(v) for v in list(row.values())[2:59]]
    if np.isnan(F).any():
        raise SystemExit(f"--features: {int(np.isnan(F).any(1).sum())} tested files have no row")
feature_weights = [float(w) for w in args.feature_weights.split(",")] if args.features else [0.0]


def features_model(tr, te):
    sc = StandardScaler().fit(F[tr])
    return LogisticRegression(C=1, max_iter=5000).fit(sc.transform(F[tr]), y[tr]).predict_proba(sc.transform(F[te]))


tested_songs = set(songs)


def cv_files(folds, c, C, how="mean", with_extras=False, project=None, head="logreg", feature_weight=0.0):
    """Trains on files (pooled windows), with the extras of the training fold's songs if asked
    (project = k: the copies among them project out k directions instead of training; 0: they
    only test).
    Returns the predictions and, when copies of test files were used, how often the copy's label
    equals the original's."""
    X = pool(Xw[:, c], how, file_windows)
    E = pool(Xw[:, c], how, extra_windows) if with_extras and extra_keys else np.zeros((0, X.shape[1]))
    pred, head_pred, agree = np.zeros_like(y), np.zeros_like(y), []
    for tr, te in folds:
        train_songs, test_files = {songs[i] for i in tr}, set(te.tolist())
        # An extra joins the training folds of its song; one of a song no file of which is tested
        # (an image-only song) trains every fold.
        ex = [j for j, s in enumerate(extra_song) if s in train_songs or s not in tested_songs] if len(E) else []
        copies = [j for j, f in enumerate(extra_copy_of) if f in test_files] if len(E) else []
        nuisance = None
        if project is not None:
            pairs = [j for j in ex if extra_copy_of[j] >= 0]
            nuisance = (project, X[extra_copy_of[pairs]], E[pairs])
            ex = [j for j in ex if extra_copy_of[j] < 0]
        p = fit_predict(np.vstack([X[tr], E[ex]]), np.concatenate([y[tr], extra_y[ex]]), np.vstack([X[te], E[copies]]), C,
                        len(ex), nuisance, head)
        files_p = p[:len(te)]
        head_pred[te] = files_p.argmax(1)
        if feature_weight > 0:
            files_p = (1 - feature_weight) * files_p + feature_weight * features_model(tr, te)
        pred[te] = files_p.argmax(1)
        agree.extend(p[len(te):].argmax(1) == head_pred[extra_copy_of[copies]])
    return pred, agree


def cv_windows(folds, c, C):
    """Trains on windows (each labelled with its file's label); a file's prediction is the mean of its windows' probabilities."""
    pred = np.zeros_like(y)
    X = Xw[file_rows][:, c]
    for tr, te in folds:
        trw = np.isin(wfile, tr)
        p = fit_predict(X[trw], y[wfile[trw]], X, C)
        for i in te:
            pred[i] = p[wfile == i].mean(0).argmax()
    return pred


def scores(pred):
    by = defaultdict(list)
    for s, a, b in zip(sources, y, pred):
        by[s].append(a == b)
    out = {"all": np.mean(pred == y), "F1": f1_score(y, pred, average="macro")}
    out.update({s: np.mean(v) for s, v in sorted(by.items())})
    return out


def report(name, runs):
    """runs: (pred, agree) per seed. One line per seed, then the mean and spread when there are several."""
    rows = [scores(p) for p, _ in runs]
    for seed, r, (_, agree) in zip(seeds, rows, runs):
        tail = f" | copy agrees {np.mean(agree):.3f}" if agree else ""
        line = " ".join(f"{k} {v:.3f}" for k, v in r.items())
        print(f"{name:58s} seed {seed} {line}{tail}", flush=True)
    if len(rows) > 1:
        line = " ".join(f"{k} {np.mean([r[k] for r in rows]):.3f}±{np.std([r[k] for r in rows]):.3f}" for k in rows[0])
        print(f"{name:58s} mean   {line}", flush=True)


def variant(name, fn):
    report(name, [fn(folds) for folds in all_folds])


seeds = [int(s) for s in args.seeds.split(",")]
all_folds = [folds_for(s) for s in seeds]
Cs = [float(c) for c in args.C.split(",")]
extras_tag = " + " + "/".join(extra_kinds) if extra_kinds else ""
print(f"{len(order)} files, {len(file_rows)} windows, {Xw.shape[1]}-d; extras: "
      + (", ".join(f"{(kind == t).sum()} {t} windows" for t in extra_kinds) if extra_kinds else "none"))

if args.subsets:
    for tag in args.subsets.split(","):
        c = cols(tag.split("+"))
        for C in Cs:
            for head in args.heads.split(","):
                for fw in feature_weights:
                    name = f"{tag} mean{extras_tag} {head}" + (f" C={C}" if head == "logreg" else "") + (f" features {fw}" if args.features else "")
                    variant(name, lambda f: cv_files(f, c, C, with_extras=True, head=head, feature_weight=fw))
            for k in [int(v) for v in args.project.split(",") if v]:
                variant(f"{tag} mean, copies projected out (k={k}) C={C}", lambda f: cv_files(f, c, C, with_extras=True, project=k))
else:
    names = list(blocks)
    subsets = [s for r in range(1, len(names) + 1) for s in itertools.combinations(names, r)] if blocks else [()]
    for subset in subsets:
        c = cols(subset)
        tag = "+".join(subset) if subset else "all"
        for C in Cs:
            variant(f"{tag} mean C={C}", lambda f: cv_files(f, c, C))
        if len(subset) == len(blocks):
            for C in Cs:
                variant(f"{tag} mean+std C={C}", lambda f: cv_files(f, c, C, how="meanstd"))
            for C in Cs:
                variant(f"{tag} windows C={C}", lambda f: (cv_windows(f, c, C), []))
            if extra_kinds:
                for C in Cs:
                    variant(f"{tag} mean{extras_tag} C={C}", lambda f: cv_files(f, c, C, with_extras=True))
