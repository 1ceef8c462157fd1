#!/usr/bin/env python3
"""Summarises the k-fold runs of bench/experiments.sh from each fold's report.json and log.csv:
mean and spread of clip-level accuracy, top-2 accuracy, macro F1 and macro AUROC, and the median
time of an epoch over all folds (robust to epochs slowed by other work or paused).
Usage: python3 bench/cv_summary.py OUT_DIR NAME"""
import csv, json, statistics, sys, glob, os
out, name = sys.argv[1], sys.argv[2]
rows, seconds, epochs = [], [], []
for f in sorted(glob.glob(os.path.join(out, name + "-f*", "test", "report.json"))):
    c = json.load(open(f))["clip_level"]
    rows.append((c["accuracy"], c["top2_accuracy"], c["macro_avg"]["f1"], c["macro_auroc"], c["n"]))
    log = os.path.join(os.path.dirname(os.path.dirname(f)), "log.csv")
    if os.path.exists(log):
        s = [float(r["seconds"]) for r in csv.DictReader(open(log))]
        seconds += s
        epochs.append(len(s))
if not rows:
    sys.exit(f"no folds of {name} in {out}")
def ms(i):
    v = [r[i] for r in rows]
    return f"{statistics.mean(v):.3f} ± {statistics.pstdev(v):.3f}"
spe = f"{statistics.median(seconds):.0f}" if seconds else ""
print(f"| {name} ({len(rows)} folds, {sum(r[4] for r in rows)} test clips) | {ms(0)} | {ms(1)} | {ms(2)} | {ms(3)} "
      f"| {spe} s/epoch (median), {min(epochs, default=0)}-{max(epochs, default=0)} epochs |")
