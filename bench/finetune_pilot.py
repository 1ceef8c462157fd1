#!/usr/bin/python3
"""Pilot: does fine-tuning a pretrained tagger help short clips? jamendo-musicnn (3 s inputs, so a
2-3 s excerpt is close to what it was trained on) under a linear head, frozen against fine-tuned,
on the same song-grouped folds, the same training segments and the same head start.

    /usr/bin/python3 bench/finetune_pilot.py ../shared/data/gtzan [--folds 0,1,2,3,4] [--epochs 3]

Data: audio/, audio-lowrate/ and audio-excerpts/ (693 files of 514 songs), decoded and resampled to
16 kHz by torchaudio (not genre's soxr path: both arms of the comparison get the same input).
Folds: StratifiedGroupKFold(5, shuffle, random_state=--seed) by song. Training inputs are 3 s
segments: --crops random 3 s crops of each whole training clip per epoch, and each short file looped
(tiled) to 3 s. Test: a whole clip is the mean of its non-overlapping 3 s segments' probabilities,
a short file its one looped segment.
 - frozen: the 200-d embedding of fixed training segments (the first epoch's), standardised,
   logistic regression (sklearn, C = --C);
 - fine-tuned (linear probing, then fine-tuning: Kumar et al. 2022): the network and a linear head
   started from the frozen arm's regression, trained end to end for --epochs epochs (Adam; backbone
   at --lr, head at --head-lr; batch norm keeps its pretrained statistics): the first epoch on the
   frozen arm's segments, each later one on fresh random crops. The epoch count is fixed in advance; the test fold chooses nothing.
The network is the upstream Musicnn (tools/taggers.py), checked against its reference outputs
first. Reference code only; never a genre dependency.
"""
import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import taggers  # noqa: E402

SEG = 48000  # 3 s at 16 kHz

ap = argparse.ArgumentParser()
ap.add_argument("data")
ap.add_argument("--weights", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "weights"))
ap.add_argument("--folds", default="0,1,2,3,4")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--crops", type=int, default=4, help="random 3 s crops of each whole training clip per epoch")
ap.add_argument("--C", type=float, default=0.1)
ap.add_argument("--lr", type=float, default=1e-5, help="backbone learning rate")
ap.add_argument("--head-lr", type=float, default=1e-4)
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--out", help="JSON Lines of per-fold results")
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.set_flush_denormal(True)  # the taggers' activations underflow to denormals, about 10x slower on this CPU
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)

# Parity before use: the upstream network must reproduce its reference outputs.
folder = Path(args.weights) / "jamendo-musicnn"
net = taggers.load(taggers.Musicnn, folder)
worst = taggers.reference_error(net, folder)
assert max(worst) < 1e-4, f"the Python Musicnn misses its reference outputs by {worst}"
print(f"parity: jamendo-musicnn within {max(worst):.1e} of its reference outputs (sigmoid and embedding)", flush=True)
initial = {k: v.clone() for k, v in net.state_dict().items()}

# The files, at 16 kHz.
files = []
for source in ["audio", "audio-lowrate", "audio-excerpts"]:
    for p in sorted((Path(args.data) / source).glob("*/*")):
        files.append((source, p.parent.name, p.parent.name + "/" + ".".join(p.name.split(".")[:2]), p))
labels = sorted({f[1] for f in files})
t0 = time.time()
wave = []
for _, _, _, p in files:
    x, sr = torchaudio.load(str(p))
    wave.append(torchaudio.functional.resample(x.mean(0), sr, 16000))
print(f"{len(files)} files decoded in {time.time() - t0:.0f} s", flush=True)
y = np.array([labels.index(f[1]) for f in files])
groups = np.array([f[2] for f in files])
src = np.array([f[0] for f in files])


def loop(x):
    return x.repeat(SEG // len(x) + 1)[:SEG]


def train_segments(idx):
    segs, ys = [], []
    for i in idx:
        x = wave[i]
        if len(x) >= 5 * 16000:
            for _ in range(args.crops):
                a = int(rng.integers(0, len(x) - SEG + 1))
                segs.append(x[a:a + SEG]); ys.append(y[i])
        else:
            segs.append(loop(x)); ys.append(y[i])
    return torch.stack(segs), torch.tensor(ys)


def test_segments(i):
    x = wave[i]
    if len(x) < 5 * 16000:
        return loop(x)[None]
    return torch.stack([x[a:a + SEG] for a in range(0, len(x) - SEG + 1, SEG)])


def embed(model, x, bs=32):
    with torch.no_grad():
        return torch.cat([model.embed(x[a:a + bs]) for a in range(0, len(x), bs)])


def evaluate(prob_of):
    right = defaultdict(list)
    for i, p in prob_of.items():
        right[src[i]].append(int(np.argmax(p)) == y[i])
    out = {s: float(np.mean(v)) for s, v in right.items()}
    out["all"] = float(np.mean(sum(right.values(), [])))
    return out


def fmt(r):
    return " ".join(f"{k} {r[k]:.3f}" for k in ["all", "audio", "audio-excerpts", "audio-lowrate"] if k in r)


folds = list(StratifiedGroupKFold(5, shuffle=True, random_state=args.seed).split(np.zeros(len(y)), y, groups))
for f in [int(v) for v in args.folds.split(",")]:
    tr, te = folds[f]
    net.load_state_dict(initial)
    net.eval()
    t0 = time.time()
    Xs, ys = train_segments(tr)
    E = embed(net, Xs).numpy()
    scaler = StandardScaler().fit(E)
    clf = LogisticRegression(C=args.C, max_iter=3000).fit(scaler.transform(E), ys.numpy())
    frozen = {}
    tests = {i: test_segments(i) for i in te}
    for i in te:
        frozen[i] = clf.predict_proba(scaler.transform(embed(net, tests[i]).numpy())).mean(0)
    rf = evaluate(frozen)
    print(f"fold {f} frozen:     {fmt(rf)} ({len(Xs)} training segments, {time.time() - t0:.0f} s)", flush=True)
    # The head: the regression with the standardisation folded in.
    head = torch.nn.Linear(200, len(labels))
    with torch.no_grad():
        w = torch.tensor(clf.coef_ / scaler.scale_, dtype=torch.float32)
        head.weight.copy_(w)
        head.bias.copy_(torch.tensor(clf.intercept_, dtype=torch.float32) - w @ torch.tensor(scaler.mean_, dtype=torch.float32))
    opt = torch.optim.Adam([{"params": net.parameters(), "lr": args.lr}, {"params": head.parameters(), "lr": args.head_lr}])
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        if epoch > 1:
            Xs, ys = train_segments(tr)
        perm = torch.randperm(len(ys))
        net.eval()  # batch norm keeps the pretrained statistics; no dropout before the head
        loss_sum = 0.0
        for a in range(0, len(ys), args.batch):
            b = perm[a:a + args.batch]
            loss = F.cross_entropy(head(net.embed(Xs[b])), ys[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(b)
        tuned = {}
        with torch.no_grad():
            for i in te:
                tuned[i] = F.softmax(head(embed(net, tests[i])), 1).mean(0).numpy()
        rt = evaluate(tuned)
        print(f"fold {f} epoch {epoch}: {fmt(rt)} (training loss {loss_sum / len(ys):.3f}, {time.time() - t0:.0f} s)", flush=True)
    if args.out:
        with open(args.out, "a") as o:
            o.write(json.dumps({"fold": f, "seed": args.seed, "frozen": rf, "finetuned": rt, "epochs": args.epochs,
                                "lr": args.lr, "head_lr": args.head_lr, "crops": args.crops, "C": args.C,
                                "frozen_probs": {str(files[i][3]): frozen[i].tolist() for i in te},
                                "finetuned_probs": {str(files[i][3]): tuned[i].tolist() for i in te}}) + "\n")
