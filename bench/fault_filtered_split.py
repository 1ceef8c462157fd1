#!/usr/bin/python3
"""A genre list split (a folder of train.txt, valid.txt, test.txt) for judging a recipe on unseen artists.

test.txt is the fault-filtered **valid** list (its songs' artists are not in the train list);
train.txt and valid.txt are the fault-filtered **train** list's songs that have development audio,
with about a tenth of each genre's (seeded) in valid.txt, for early stopping only. So a recipe trained
with `--split OUT_DIR` (with or without --refit) never early-stops on the songs it is judged on:

    /usr/bin/python3 bench/fault_filtered_split.py OUT_DIR [--gtzan ../shared/data/gtzan]
    genre train ... --split OUT_DIR --out RUN
    genre evaluate --model RUN/model.genre --split OUT_DIR --part test --out RUN/test

(bench/ensemble_cv.py combines two such runs when they sit as DIR/NAME-f0/test/report.json.)
"""
import argparse
import random
from collections import defaultdict
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("out", help="the split folder to write")
ap.add_argument("--gtzan", default="../shared/data/gtzan", help="the development data (audio folders and splits/)")
args = ap.parse_args()
gtzan, out = Path(args.gtzan), Path(args.out)
lists = gtzan / "splits"
have = {f"{p.parent.name}/{p.stem}" for d in ("audio", "audio-lowrate", "audio-excerpts") for p in (gtzan / d).glob("*/*")}
train = [s for s in (line.strip().rsplit(".", 1)[0] for line in open(lists / "train_filtered.txt")) if s in have]
by_genre = defaultdict(list)
for s in train:
    by_genre[s.split("/")[0]].append(s)
rng = random.Random(42)
stop = []
for genre, songs in sorted(by_genre.items()):
    rng.shuffle(songs)
    stop += songs[: max(1, round(len(songs) / 10))]
out.mkdir(parents=True, exist_ok=True)
(out / "train.txt").write_text("\n".join(s for s in train if s not in stop) + "\n")
(out / "valid.txt").write_text("\n".join(stop) + "\n")
(out / "test.txt").write_text((lists / "valid_filtered.txt").read_text())
print(f"{out}: {len(train) - len(stop)} training songs, {len(stop)} for early stopping, test = the fault-filtered valid list")
