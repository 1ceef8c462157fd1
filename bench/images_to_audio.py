#!/usr/bin/python3
"""Audio resynthesised from the Kaggle GTZAN spectrogram images, to try them as training-only songs
for the taggers' heads (models/README.md: "the images"). Benchmark tooling, never a genre dependency.

    /usr/bin/python3 bench/images_to_audio.py IMAGES_DIR OUT_DIR [K N]   # every N-th image from the K-th

Each image (images_original/<genre>/<genre>NNNNN.png) holds a whole song's log-mel spectrogram: 128
Slaney mel bands at 22050 Hz (n_fft 2048, hop 512), dB relative to the song's maximum (top_db 80),
drawn with matplotlib's magma colour map into the 336 x 218 pixels at columns 54-389, rows 35-252
(../shared/data/gtzan/README.md). Per image: each pixel back to its colour-map position (nearest of
magma's 256 colours) and so to dB in [-80, 0]; rows to the 128 bands and columns to the song's 1293
frames (linear interpolation: a column is about 3.9 frames, 89 ms); the mel power through the
filter bank's pseudo-inverse to a linear magnitude; torchaudio's Griffin-Lim (8 iterations, random
initial phases seeded per file) to
22050 Hz audio at an RMS of 0.1; written as OUT_DIR/<genre>/<genre>.NNNNN.wav, the song's id as in
the audio folders. Debian's python3-torch, -torchaudio, -soundfile, -scipy, -pil and -matplotlib.
"""
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio
from matplotlib import colormaps
from PIL import Image
from scipy.ndimage import map_coordinates

SR, NFFT, HOP, NMEL, FRAMES = 22050, 2048, 512, 128, 1293
torch.set_num_threads(1)
lut = (colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).round()
bank = torchaudio.functional.melscale_fbanks(NFFT // 2 + 1, 0.0, SR / 2, NMEL, SR, norm="slaney", mel_scale="slaney").T
inverse = torch.linalg.pinv(bank.double())
griffin_lim = torchaudio.transforms.GriffinLim(n_fft=NFFT, hop_length=HOP, power=1.0, n_iter=8)


def image_to_db(path):
    rgb = np.array(Image.open(path).convert("RGB"))[35:253, 54:390].astype(float)  # 218 x 336, high bands first
    t = ((rgb[:, :, None, :] - lut[None, None]) ** 2).sum(-1).argmin(-1) / 255.0
    db = -80.0 + 80.0 * t[::-1]  # low bands first
    rows = np.interp(np.arange(NMEL) + 0.5, (np.arange(218) + 0.5) * NMEL / 218, np.arange(218))
    cols = np.interp(np.arange(FRAMES) + 0.5, (np.arange(336) + 0.5) * FRAMES / 336, np.arange(336))
    return map_coordinates(db, np.meshgrid(rows, cols, indexing="ij"), order=1, mode="nearest")


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    files = sorted(src.rglob("*.png"))
    if len(sys.argv) > 4:
        files = files[int(sys.argv[3])::int(sys.argv[4])]
    for f in files:
        label = f.parent.name
        dst = out / label / f"{label}.{f.stem[len(label):]}.wav"
        if dst.exists():
            continue
        power = torch.from_numpy(10 ** (image_to_db(f) / 10))
        magnitude = torch.clamp(inverse @ power, min=0) ** 0.5
        torch.manual_seed(0)  # Griffin-Lim starts from random phases: the same file for the same image
        y = griffin_lim(magnitude.float()).numpy()
        y = np.clip(y / (np.sqrt((y ** 2).mean()) + 1e-12) * 0.1, -1, 1)
        dst.parent.mkdir(parents=True, exist_ok=True)
        sf.write(dst, y, SR, subtype="PCM_16")
        print(dst, flush=True)


if __name__ == "__main__":
    main()
