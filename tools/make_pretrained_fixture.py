#!/usr/bin/python3
"""Makes tests/data/pretrained: msd-crnn's MIT weights and a 2 s input with its outputs, computed by
Debian's torch and torchaudio with the upstream CRNN class (minzwon/sota-music-tagging-models
training/model.py, retyped from ../shared/weights/msd-crnn/model.md). Before writing, it checks
that this Python model reproduces the shared reference JSON on the full 29 s input.

    /usr/bin/python3 tools/make_pretrained_fixture.py [../shared/weights]
"""
import json, shutil, struct, sys
from pathlib import Path

import numpy as np
import torch

from taggers import CRNN, load

root = Path(__file__).resolve().parent.parent
weights = Path(sys.argv[1] if len(sys.argv) > 1 else root.parent / "shared" / "weights")
out = root / "tests" / "data" / "pretrained"


def read_wav(path):
    return torch.from_numpy(np.frombuffer(Path(path).read_bytes()[44:], dtype=np.float32).copy())


def write_wav(path, x):
    x = np.asarray(x, dtype="<f4")
    n = x.nbytes
    hdr = b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 3, 1, 16000, 64000, 4, 32)
    Path(path).write_bytes(hdr + b"data" + struct.pack("<I", n) + x.tobytes())


torch.set_num_threads(1)
src = weights / "msd-crnn"
model = load(CRNN, src)
ref = json.loads((src / "reference" / "hiphop.00002.json").read_text())
full = read_wav(src / "reference" / ref["input_file"])
with torch.no_grad():
    d = (model(full[None]) - torch.tensor(ref["sigmoid"])).abs().max().item()
print(f"python CRNN vs the shared reference (29 s): max |diff| {d:.2e}")
assert d < 1e-5, "the Python model does not reproduce the reference"

x = full[16000 * 10:16000 * 12]  # 2 s from 10 s on
with torch.no_grad():
    sig = model(x[None])[0]
    emb = model.embed(x[None])[0]
(out / "msd-crnn").mkdir(parents=True, exist_ok=True)
shutil.copy(src / "weights.safetensors", out / "msd-crnn" / "weights.safetensors")
shutil.copy(src / "tags.txt", out / "msd-crnn" / "tags.txt")
shutil.copy(weights / "LICENSE-sota-music-tagging-models", out / "msd-crnn" / "LICENSE")
write_wav(out / "msd-crnn-2s.16k.wav", x.numpy())
(out / "msd-crnn-2s.json").write_text(json.dumps({
    "what": "msd-crnn on samples 160000-192000 of reference-audio/hiphop.00002.16k.wav, by tools/make_pretrained_fixture.py",
    "sigmoid": sig.tolist(), "embedding": emb.tolist()}, indent=1))
print("wrote", out)
