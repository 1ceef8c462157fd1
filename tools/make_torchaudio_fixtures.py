#!/usr/bin/env python3
"""Writes tests/data/torchaudio/: synthesized signals and torchaudio's log-mel spectrogram of each
(MelSpectrogram with Slaney scale and norm, reflect-padded centred frames, then AmplitudeToDB with
top_db=80), for the C++ parity test. Needs Debian's python3-torch and python3-torchaudio.
Usage: /usr/bin/python3 tools/make_torchaudio_fixtures.py"""
import json, math, os
import numpy as np
import torch, torchaudio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "torchaudio")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261121)

def chirp_mix(sr, seconds):
    t = np.arange(int(sr * seconds)) / sr
    f0, f1 = 50.0, sr * 0.45
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * seconds))
    y = 0.3 * np.sin(phase) + 0.2 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t)
    return y + 0.01 * rng.standard_normal(len(t))

def clicks_and_silence(sr, seconds):
    y = np.zeros(int(sr * seconds))
    y[int(0.5 * sr):int(1.5 * sr)] = 0.5 * rng.standard_normal(sr)       # a burst of noise
    y[::int(0.25 * sr)] = 0.9                                            # clicks
    return y

cases = [
    dict(name="chirp_22050", signal=chirp_mix(22050, 3.0), sr=22050, n_fft=2048, hop_length=512, n_mels=128, f_min=0.0, f_max=None),
    dict(name="clicks_22050", signal=clicks_and_silence(22050, 2.0), sr=22050, n_fft=2048, hop_length=512, n_mels=128, f_min=0.0, f_max=None),
    dict(name="chirp_16000_64mels", signal=chirp_mix(16000, 2.0), sr=16000, n_fft=1024, hop_length=256, n_mels=64, f_min=20.0, f_max=7600.0),
]
manifest = []
for c in cases:
    y = torch.tensor(c["signal"], dtype=torch.float32)
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=c["sr"], n_fft=c["n_fft"], hop_length=c["hop_length"], n_mels=c["n_mels"],
        f_min=c["f_min"], f_max=c["f_max"], norm="slaney", mel_scale="slaney", center=True,
        pad_mode="reflect", power=2.0)
    db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=80.0)
    out = db(mel(y))  # (n_mels, frames)
    y.numpy().astype("<f4").tofile(os.path.join(OUT, c["name"] + ".signal.f32"))
    out.numpy().astype("<f4").tofile(os.path.join(OUT, c["name"] + ".logmel.f32"))
    entry = {k: v for k, v in c.items() if k != "signal"}
    entry.update(samples=len(c["signal"]), n_frames=out.shape[1], torch=torch.__version__, torchaudio=torchaudio.__version__)
    manifest.append(entry)
    print(c["name"], tuple(out.shape))
json.dump(manifest, open(os.path.join(OUT, "manifest.json"), "w"), indent=1)
