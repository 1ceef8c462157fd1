#!/usr/bin/python3
"""Does a cross-validated genre model give a whole clip and its 8 kHz copy the same genre?

For each fold F of a bench/experiments.sh k-fold run (OUT_DIR/NAME-fF/model.genre, with its test
report OUT_DIR/NAME-fF/test/report.json), takes the fold's test songs that have a whole 22050 Hz clip
in AUDIO_DIR, makes an 8 kHz copy of each clip (scipy's resample_poly, 22050 -> 8000 Hz, as an
8 kHz recording of it would hold: nothing above 4 kHz), and runs `genre evaluate` on the originals
and on the copies with a list split naming those songs as test. No model sees a song it trained on.
Prints, pooled over the folds: how often the copy's genre is the original's, and both accuracies.

    /usr/bin/python3 bench/bandwidth_cv.py OUT_DIR NAME AUDIO_DIR [WORK_DIR]

Debian's python3-scipy and python3-soundfile; GENRE_BIN (default build/genre) runs the models.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

out, name, audio = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
work = Path(sys.argv[4]) if len(sys.argv) > 4 else out / (name + "-8k")
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


def evaluate(model, data, split, report):
    subprocess.run([genre, "evaluate", "--model", str(model), "--data", str(data), "--split", str(split),
                    "--part", "test", "--out", str(report)], check=True, stdout=subprocess.DEVNULL)
    clips = json.load(open(report / "report.json"))["clips"]
    labels = json.load(open(report / "report.json"))["clip_level"]["labels"]
    return {c["song"]: (c["label"], labels[int(np.argmax(c["probabilities"]))]) for c in clips}


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
    orig = evaluate(fold_dir / "model.genre", audio, split, work / (fold_dir.name + "-orig"))
    copy = evaluate(fold_dir / "model.genre", work / "audio-8k", split, work / (fold_dir.name + "-8k"))
    for s in songs:
        label, p = orig[s]
        _, q = copy[s]
        same += p == q
        right_orig += p == label
        right_copy += q == label
        n += 1
    print(f"{fold_dir.name}: {len(songs)} whole clips", flush=True)
print(f"{name}: {n} whole clips, each tested by the fold that did not train on it")
print(f"  8 kHz copy gets the original's genre: {same / n:.3f} ({same}/{n})")
print(f"  accuracy: originals {right_orig / n:.3f}, 8 kHz copies {right_copy / n:.3f}")
