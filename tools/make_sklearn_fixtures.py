#!/usr/bin/env python3
"""Writes tests/data/sklearn/metrics.json: fixed predictions and the metrics scikit-learn computes for
them, for the C++ metric tests. Needs Debian's python3-sklearn. Usage: /usr/bin/python3 tools/make_sklearn_fixtures.py"""
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
