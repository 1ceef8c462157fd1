#!/usr/bin/python3
"""How far the `bandwidth` detector's measure lies from its -50 dB line, per file, for full-band audio
and for its 8 kHz copies (src/models/pretrained/bandwidth.cpp).

The measure: in the taggers' log-mel (16 kHz, 96 HTK bands; genre's dB floor of 1e-10 power), per
frame, the mean power of the bands from 4.3 kHz up (band 76 on) against the mean power of all bands,
in dB; the median over frames. Here over a whole file (genre measures each 29 s window). Files are
resampled to 16 kHz by libsoxr as genre does (bench/side_by_side.py's resample); a file's 8 kHz copy is
made as bench/bandwidth_cv.py makes it (scipy's resample_poly), then resampled the same way. Prints,
per folder, the lowest, median and highest measure of the files and of their copies, and how many lie
under -50 dB.

    /usr/bin/python3 bench/bandwidth_levels.py DIR [DIR...]   (e.g. ../shared/data/gtzan/audio ...)

Debian's python3-torch, -torchaudio, -scipy and -soundfile.
"""
import sys
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from side_by_side import resample  # noqa: E402  (libsoxr, SOXR_HQ, to 16 kHz)
from taggers import front_end  # noqa: E402

FIRST_HIGH, BELOW_DB = 76, -50.0
spec, _ = front_end()


def measure(y16k):
    p = spec(torch.from_numpy(np.ascontiguousarray(y16k, dtype=np.float32))).double().clamp_min(1e-10)  # 96 x T
    ratio = 10 * torch.log10(p[FIRST_HIGH:].mean(0)) - 10 * torch.log10(p.mean(0))
    return float(ratio.median())


def eight_khz(y, sr):
    g = gcd(8000, sr)
    return resample_poly(y, 8000 // g, sr // g).astype(np.float32)


def summary(name, values):
    v = np.array(values)
    print(f"  {name:22s} {len(v):4d} files: lowest {v.min():7.1f} dB, median {np.median(v):7.1f}, highest {v.max():7.1f}; "
          f"under {BELOW_DB:g} dB: {(v < BELOW_DB).sum()}")


for folder in sys.argv[1:]:
    full, copies = [], []
    for f in sorted(p for p in Path(folder).rglob("*") if p.suffix in (".ogg", ".flac", ".wav", ".mp3")):
        y, sr = sf.read(str(f), dtype="float32", always_2d=True)
        y = y.mean(1)
        full.append(measure(resample(y, sr)))
        if sr > 8000:
            copies.append(measure(resample(eight_khz(y, sr), 8000)))
    print(folder)
    summary("as recorded", full)
    if copies:
        summary("8 kHz copies", copies)
