#!/usr/bin/env python3
"""Summarises the k-fold runs of bench/experiments.sh from each fold's report.json and log.csv:
mean and spread of clip-level accuracy, top-2 accuracy, macro F1 and macro AUROC, and the median
time of an epoch over all folds (robust to epochs slowed by other work or paused). When the data
was a comma list of folders, also each folder's file-level accuracy and macro F1, pooled over the
folds (every file is in exactly one test fold).
With --per-class, also the per-class precision, recall and F1 of the folds' clip-level confusion
matrices added up (each song once).
Usage: python3 bench/cv_summary.py OUT_DIR NAME [REPORT_SUBFOLDER (default: test)] [--per-class]"""
import csv, json, statistics, sys, glob, os
args = [a for a in sys.argv[1:] if a != "--per-class"]
per_class = "--per-class" in sys.argv
out, name = args[0], args[1]
sub = args[2] if len(args) > 2 else "test"
rows, seconds, epochs, clip_levels = [], [], [], []
sources = {}  # folder -> [confusion matrices], [per-fold accuracies]
for f in sorted(glob.glob(os.path.join(out, name + "-f*", sub, "report.json"))):
    report = json.load(open(f))
    c = report["clip_level"]
    clip_levels.append(c)
    rows.append((c["accuracy"], c["top2_accuracy"], c["macro_avg"]["f1"], c["macro_auroc"], c["n"]))
    for s in report.get("by_source", []):
        sources.setdefault(s["source"], []).append(s["file_level"])
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

def pooled(folds):
    """Accuracy and macro F1 of the folds' confusion matrices added up (each file once)."""
    k = len(folds[0]["confusion"])
    m = [[sum(f["confusion"][i][j] for f in folds) for j in range(k)] for i in range(k)]
    n = sum(map(sum, m))
    acc = sum(m[i][i] for i in range(k)) / n
    f1s = []
    for i in range(k):
        tp, pred, true = m[i][i], sum(m[r][i] for r in range(k)), sum(m[i])
        if true == 0 and pred == 0:
            continue
        p = tp / pred if pred else 0.0
        r = tp / true if true else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return n, acc, statistics.mean(f1s)

if len(sources) > 1:
    # Every folder's files together: their folds' confusion matrices added up.
    n, acc, f1 = pooled([f for folds in sources.values() for f in folds])
    print(f"|   all folders: {n} files, file level | {acc:.3f} | | {f1:.3f} | | |")
for source, folds in sources.items():
    n, acc, f1 = pooled(folds)
    accs = [f["accuracy"] for f in folds]
    print(f"|   {os.path.basename(source.rstrip('/'))}: {n} files, file level | {acc:.3f} (folds {statistics.mean(accs):.3f} ± "
          f"{statistics.pstdev(accs):.3f}) | | {f1:.3f} | | |")

if per_class:
    labels = clip_levels[0]["labels"]
    k = len(labels)
    m = [[sum(c["confusion"][i][j] for c in clip_levels) for j in range(k)] for i in range(k)]
    print("\n| class | precision | recall | F1 | songs |\n|---|---|---|---|---|")
    for i, label in enumerate(labels):
        tp, pred, true = m[i][i], sum(m[r][i] for r in range(k)), sum(m[i])
        p = tp / pred if pred else 0.0
        r = tp / true if true else 0.0
        print(f"| {label} | {p:.3f} | {r:.3f} | {2 * p * r / (p + r) if p + r else 0.0:.3f} | {true} |")
