#!/usr/bin/env python3
"""Regenerates examples/ (10 s Ogg Vorbis excerpts, one per genre) and the parity fixture in
tests/data/ from ../shared/data/gtzan. A developer tool: needs python3-soundfile and the shared data;
genre itself never runs Python.  Usage: /usr/bin/python3 tools/make_examples.py"""
import csv, os, shutil
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GTZAN = os.path.join(ROOT, "..", "shared", "data", "gtzan")
GENRES = "blues classical country disco hiphop jazz metal pop reggae rock".split()

# Examples: seconds 10..20 of the first lossless clip of each genre, encoded once to Ogg Vorbis.
for g in GENRES:
    src_dir = os.path.join(GTZAN, "audio-lossless", g)
    name = sorted(os.listdir(src_dir))[0]
    y, sr = sf.read(os.path.join(src_dir, name), dtype="float32")
    out_dir = os.path.join(ROOT, "examples", g)
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, name.replace(".flac", ".ogg"))
    sf.write(out, y[10 * sr:20 * sr], sr, format="OGG", subtype="VORBIS")
    print(out, os.path.getsize(out))

# Parity fixture: two whole lossless clips and their rows of features_30_sec.csv (librosa's output).
fixture = ["jazz/jazz.00001", "classical/classical.00001"]
data = os.path.join(ROOT, "tests", "data", "gtzan")
os.makedirs(data, exist_ok=True)
rows = {r["filename"]: r for r in csv.DictReader(open(os.path.join(GTZAN, "features_30_sec.csv")))}
with open(os.path.join(data, "features_30_sec_expected.csv"), "w", newline="") as f:
    w = None
    for clip in fixture:
        g, stem = clip.split("/")
        os.makedirs(os.path.join(data, g), exist_ok=True)
        shutil.copy(os.path.join(GTZAN, "audio-lossless", clip + ".flac"), os.path.join(data, g, stem + ".flac"))
        row = rows[stem + ".wav"]
        if w is None:
            w = csv.DictWriter(f, fieldnames=list(row.keys()))
            w.writeheader()
        w.writerow(row)
# Each feature column's population standard deviation over all rows: the scale of the tolerances.
import statistics
cols = [c for c in next(iter(rows.values())).keys() if c not in ("filename", "length", "label")]
with open(os.path.join(data, "features_30_sec_column_std.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["column", "std", "rows"])
    for c in cols:
        w.writerow([c, repr(statistics.pstdev([float(r[c]) for r in rows.values()])), len(rows)])
print("fixture written to", data)
