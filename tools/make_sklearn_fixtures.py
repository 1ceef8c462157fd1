#!/usr/bin/env python3
"""Writes tests/data/sklearn/metrics.json: fixed predictions and the metrics scikit-learn computes for
them, for the C++ metric tests; and tests/data/sklearn/lda.json, scikit-learn's linear discriminant
analysis of a small fixed table, for genre's (genre/lda.h). Needs Debian's python3-sklearn. Usage: /usr/bin/python3 tools/make_sklearn_fixtures.py"""
import json, os
import numpy as np
import sklearn
from sklearn import metrics as skm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "sklearn")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
cases = []
for name, n, k, skill in [("ten_classes", 200, 10, 1.5), ("three_classes_weak", 60, 3, 0.3), ("perfect_four", 40, 4, 50.0)]:
    y = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])  # every class present
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += skill
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = list(range(k))
    prec, rec, f1, sup = skm.precision_recall_fscore_support(y, p.argmax(1), labels=labels, zero_division=0)
    case = dict(name=name, labels=[f"c{i}" for i in labels], y_true=y.tolist(), probs=p.tolist(),
                accuracy=skm.accuracy_score(y, p.argmax(1)),
                top2_accuracy=skm.top_k_accuracy_score(y, p, k=2, labels=labels),
                log_loss=skm.log_loss(y, p, labels=labels),
                macro_auroc=skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=labels),
                precision=prec.tolist(), recall=rec.tolist(), f1=f1.tolist(), support=sup.tolist(),
                macro_f1=skm.f1_score(y, p.argmax(1), average="macro", zero_division=0),
                weighted_f1=skm.f1_score(y, p.argmax(1), average="weighted", zero_division=0),
                weighted_precision=skm.precision_score(y, p.argmax(1), average="weighted", zero_division=0),
                confusion=skm.confusion_matrix(y, p.argmax(1), labels=labels).tolist())
    cases.append(case)
# Ties in the scores: AUC counts them as half.
cases.append(dict(name="binary_ties", scores=[0.1, 0.4, 0.4, 0.4, 0.8, 0.8, 0.2, 0.9], positive=[0, 0, 1, 1, 0, 1, 0, 1],
                  auc=skm.roc_auc_score([0, 0, 1, 1, 0, 1, 0, 1], [0.1, 0.4, 0.4, 0.4, 0.8, 0.8, 0.2, 0.9])))
json.dump(dict(sklearn=sklearn.__version__, cases=cases), open(os.path.join(OUT, "metrics.json"), "w"))
print("wrote", len(cases), "cases with scikit-learn", sklearn.__version__)

# Linear discriminant analysis (genre/lda.h): coefficients, intercepts and probabilities of
# LinearDiscriminantAnalysis(solver="lsqr") on correlated Gaussian classes of unequal sizes, one
# value constant within a class; and ledoit_wolf_shrinkage of one class.
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

rng = np.random.default_rng(11)
d, sizes = 6, [20, 12, 9]
mix = rng.normal(size=(d, d))
X = np.concatenate([rng.normal(size=(m, d)) @ mix + 1.5 * rng.normal(size=d) for m in sizes])
y = np.concatenate([np.full(m, c) for c, m in enumerate(sizes)])
X[y == 0, 2] = 0.75
X = X.astype(np.float32).astype(np.float64)  # genre fits float32 examples: the same values
X_test = rng.normal(size=(5, d)) @ mix
lda_cases = []
for name, kw in [("auto", dict(shrinkage="auto")), ("fixed_0.3", dict(shrinkage=0.3)),
                 ("auto_uniform_priors", dict(shrinkage="auto", priors=np.full(3, 1 / 3)))]:
    m = LinearDiscriminantAnalysis(solver="lsqr", **kw).fit(X, y)
    lda_cases.append(dict(name=name, shrinkage=-1 if kw["shrinkage"] == "auto" else kw["shrinkage"],
                          uniform_priors="priors" in kw, coef=m.coef_.tolist(), intercept=m.intercept_.tolist(),
                          proba=m.predict_proba(X_test).tolist()))
json.dump(dict(sklearn=sklearn.__version__, x=X.tolist(), y=y.tolist(), x_test=X_test.tolist(), cases=lda_cases,
               ledoit_wolf_class1=ledoit_wolf_shrinkage(X[y == 1])),
          open(os.path.join(OUT, "lda.json"), "w"))
print("wrote", len(lda_cases), "LDA cases")
