#!/usr/bin/python3
"""Does a cross-validated genre model give a whole clip and its 8 kHz copy the same genre?

For each fold F of a bench/experiments.sh k-fold run (OUT_DIR/NAME-fF/model.genre, with its test
report OUT_DIR/NAME-fF/test/report.json), takes the fold's test songs that have a whole 22050 Hz clip
in AUDIO_DIR, makes an 8 kHz copy of each clip (scipy's resample_poly, 22050 -> 8000 Hz, as an
8 kHz recording of it would hold: nothing above 4 kHz), and runs `genre evaluate` on the originals
and on the copies with a list split naming those songs as test. No model sees a song it trained on.
Prints, pooled over the folds: how often the copy's genre is the original's, and both accuracies.

    /usr/bin/python3 bench/bandwidth_cv.py OUT_DIR NAME AUDIO_DIR [WORK_DIR] [--with NAME_B --weight W]

With --with, the model judged is the ensemble of NAME's and NAME_B's fold models (genre/ensemble.h),
NAME_B weighing W: `genre ensemble` writes it per fold and `genre evaluate` runs it.

Debian's python3-scipy and python3-soundfile; GENRE_BIN (default build/genre) runs the models.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("name")
ap.add_argument("audio")
ap.add_argument("work", nargs="?")
ap.add_argument("--with", dest="other", default="")
ap.add_argument("--weight", type=float, default=0.0)
args = ap.parse_args()
out, name, audio = Path(args.out), args.name, Path(args.audio)
work = Path(args.work) if args.work else out / (name + ("+" + args.other if args.other else "") + "-8k")
genre = os.environ.get("GENRE_BIN", "build/genre")
whole = {p.parent.name + "/" + p.stem: p for p in audio.glob("*/*.*")}


def copy_8k(song):
    dst = work / "audio-8k" / (song + ".wav")
    if not dst.exists():
        y, sr = sf.read(whole[song], dtype="float32", always_2d=True)
        y = y.mean(1)
        if sr != 22050:
            sys.exit(f"{whole[song]}: {sr} Hz, expected 22050")
        dst.parent.mkdir(parents=True, exist_ok=True)
        sf.write(dst, resample_poly(y, 160, 441).astype(np.float32), 8000, subtype="FLOAT")
    return dst


def model_of(fold_dir):
    """The fold's model, or with --with the fold's ensemble of NAME's and NAME_B's models (genre ensemble)."""
    if not args.other:
        return fold_dir / "model.genre"
    other = fold_dir.parent / fold_dir.name.replace(name + "-f", args.other + "-f", 1)
    ensemble = work / (fold_dir.name + "-ensemble.genre")
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([genre, "ensemble", "-m", f"{fold_dir / 'model.genre'}:{1 - args.weight}",
                    "-m", f"{other / 'model.genre'}:{args.weight}", "-o", str(ensemble)], check=True, stdout=subprocess.DEVNULL)
    return ensemble


def evaluate(fold_dir, data, split, report):
    """song -> (label, predicted label) of the fold's model (or ensemble), by genre evaluate."""
    subprocess.run([genre, "evaluate", "--model", str(model_of(fold_dir)), "--data", str(data), "--split", str(split),
                    "--part", "test", "--out", str(report)], check=True, stdout=subprocess.DEVNULL)
    r = json.load(open(report / "report.json"))
    labels = r["clip_level"]["labels"]
    return {c["song"]: (c["label"], labels[int(np.argmax(c["probabilities"]))]) for c in r["clips"]}


same = right_orig = right_copy = n = 0
for fold_dir in sorted(out.glob(name + "-f*")):
    if not (fold_dir / "model.genre").exists() or not (fold_dir / "test" / "report.json").exists():
        continue
    songs = [c["song"] for c in json.load(open(fold_dir / "test" / "report.json"))["clips"] if c["song"] in whole]
    if not songs:
        continue
    for s in songs:
        copy_8k(s)
    split = work / (fold_dir.name + ".split.txt")
    split.parent.mkdir(parents=True, exist_ok=True)
    split.write_text("".join(f"test {s}\n" for s in songs))
    orig = evaluate(fold_dir, audio, split, work / (fold_dir.name + "-orig"))
    copy = evaluate(fold_dir, work / "audio-8k", split, work / (fold_dir.name + "-8k"))
    for s in songs:
        label, p = orig[s]
        _, q = copy[s]
        same += p == q
        right_orig += p == label
        right_copy += q == label
        n += 1
    print(f"{fold_dir.name}: {len(songs)} whole clips", flush=True)
print(f"{name}{' + ' + args.other + f' (weight {args.weight:g})' if args.other else ''}: {n} whole clips, each tested by the fold that did not train on it")
print(f"  8 kHz copy gets the original's genre: {same / n:.3f} ({same}/{n})")
print(f"  accuracy: originals {right_orig / n:.3f}, 8 kHz copies {right_copy / n:.3f}")
