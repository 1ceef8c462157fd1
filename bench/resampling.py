#!/usr/bin/python3
"""How close genre's 16 kHz input is to the pretrained taggers' reference input, and what the difference does to
their outputs.

    GENRE_WEIGHTS_DIR=../shared/weights /usr/bin/python3 bench/resampling.py [../shared/data/gtzan]

The reference inputs (../shared/weights/reference-audio/<clip>.16k.wav) were resampled from the lossless GTZAN clips
by torchaudio's kaiser_best sinc; genre resamples with libsoxr (SOXR_HQ). For each reference clip this resamples the
lossless 22050 Hz clip as genre does (libsoxr through ctypes, bench/side_by_side.py: the same samples as genre's
decoder, checked there), compares the first 464,000 samples with the reference input (largest difference, SNR), and
runs msd-fcn and msd-crnn (tools/taggers.py, float32) on both: the largest change of the 50 sigmoid outputs and of
the embedding, against the outputs' spread over the clips.
"""
import json
import sys
from pathlib import Path

import numpy as np
import soundfile
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import side_by_side  # noqa: E402
import taggers  # noqa: E402

data = Path(sys.argv[1] if len(sys.argv) > 1 else side_by_side.WEIGHTS.parent / "data" / "gtzan")
weights = side_by_side.WEIGHTS
torch.set_num_threads(1)
nets = {"msd-fcn": taggers.load(taggers.FCN, weights / "msd-fcn"), "msd-crnn": taggers.load(taggers.CRNN, weights / "msd-crnn")}
print("| clip | largest sample difference | SNR of genre's input against the reference | model | largest sigmoid change | largest embedding change |")
print("|---|---|---|---|---|---|")
for ref in sorted((weights / "msd-fcn" / "reference").glob("*.json")):
    clip = ref.stem
    r = json.loads(ref.read_text())
    want, _ = soundfile.read(weights / "reference-audio" / Path(r["input_file"]).name, dtype="float32")
    y, sr = soundfile.read(data / "audio-lossless" / clip.split(".")[0] / f"{clip}.flac", dtype="float32", always_2d=True)
    got = side_by_side.resample(y.mean(axis=1), sr)[:len(want)]
    diff = got - want
    snr = 10 * np.log10(np.sum(want.astype(np.float64) ** 2) / np.sum(diff.astype(np.float64) ** 2))
    for name, net in nets.items():
        with torch.no_grad():
            x = torch.from_numpy(np.stack([want, got]))
            s, e = net(x).numpy(), net.embed(x).numpy()
        print(f"| {clip} | {np.abs(diff).max():.2e} | {snr:.1f} dB | {name} | {np.abs(s[0] - s[1]).max():.4f} "
              f"| {np.abs(e[0] - e[1]).max():.4f} (embedding sd {e[0].std():.3f}) |")
