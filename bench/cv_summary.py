#!/usr/bin/env python3
"""Summarises the k-fold runs of bench/experiments.sh from each fold's report.json: mean and spread
of clip-level accuracy, macro F1 and macro AUROC. Usage: python3 bench/cv_summary.py OUT_DIR NAME"""
import json, statistics, sys, glob, os
out, name = sys.argv[1], sys.argv[2]
rows = []
for f in sorted(glob.glob(os.path.join(out, name + "-f*", "test", "report.json"))):
    c = json.load(open(f))["clip_level"]
    rows.append((c["accuracy"], c["macro_avg"]["f1"], c["macro_auroc"], c["n"]))
if not rows:
    sys.exit(f"no folds of {name} in {out}")
def ms(i):
    v = [r[i] for r in rows]
    return f"{statistics.mean(v):.3f} ± {statistics.pstdev(v):.3f}"
print(f"| {name} ({len(rows)} folds, {sum(r[3] for r in rows)} test clips) | {ms(0)} | {ms(1)} | {ms(2)} |")
