"""The upstream taggers (minzwon/sota-music-tagging-models training/model.py and modules.py, retyped from
../shared/weights/*/model.md) in Debian's torch and torchaudio, and a safetensors reader: shared by
tools/make_pretrained_fixture.py and bench/side_by_side.py. Reference code only; never a genre dependency."""
import json
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torchaudio


def read_safetensors(path):
    data = Path(path).read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        dt = {"F32": np.float32, "I64": np.int64}[e["dtype"]]
        tensors[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype=dt).reshape(e["shape"]).copy())
    return tensors


class Conv_2d(nn.Module):
    def __init__(self, cin, cout, pooling):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.mp = nn.MaxPool2d(pooling)

    def forward(self, x):
        return self.mp(self.relu(self.bn(self.conv(x))))


def front_end():
    """spec, to_db: the taggers' own log-mel front end (16 kHz, n_fft 512, 96 HTK bands, dB)."""
    return (torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=512, f_min=0.0, f_max=8000.0, n_mels=96),
            torchaudio.transforms.AmplitudeToDB())


class Tagger(nn.Module):
    """embed(waveform) = embed_logmel(logmel(waveform)), so that the front end can run apart (e.g. in float64)."""

    def logmel(self, x):
        return self.to_db(self.spec(x)).unsqueeze(1)

    def embed(self, x):
        return self.embed_logmel(self.logmel(x))

    def forward(self, x):
        return torch.sigmoid(self.dense(self.dropout(self.embed(x))))


class FCN(Tagger):
    def __init__(self):
        super().__init__()
        self.spec, self.to_db = front_end()
        self.spec_bn = nn.BatchNorm2d(1)
        self.layer1 = Conv_2d(1, 64, pooling=(2, 4))
        self.layer2 = Conv_2d(64, 128, pooling=(2, 4))
        self.layer3 = Conv_2d(128, 128, pooling=(2, 4))
        self.layer4 = Conv_2d(128, 128, pooling=(3, 5))
        self.layer5 = Conv_2d(128, 64, pooling=(4, 4))
        self.dense = nn.Linear(64, 50)
        self.dropout = nn.Dropout(0.5)

    def embed_logmel(self, x):
        x = self.spec_bn(x)
        x = self.layer5(self.layer4(self.layer3(self.layer2(self.layer1(x)))))
        return x.view(x.size(0), -1)


class CRNN(Tagger):
    def __init__(self):
        super().__init__()
        self.spec, self.to_db = front_end()
        self.spec_bn = nn.BatchNorm2d(1)
        self.layer1 = Conv_2d(1, 64, pooling=2)
        self.layer2 = Conv_2d(64, 128, pooling=3)
        self.layer3 = Conv_2d(128, 128, pooling=4)
        self.layer4 = Conv_2d(128, 128, pooling=4)
        self.layer5 = nn.GRU(128, 32, 2, batch_first=True)
        self.dropout = nn.Dropout(0.5)
        self.dense = nn.Linear(32, 50)

    def embed_logmel(self, x):
        x = self.spec_bn(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = x.squeeze(2).permute(0, 2, 1)
        x, _ = self.layer5(x)
        return x[:, -1, :]


class _ConvV(nn.Module):
    """Conv_V: Conv2d(1, cout, (kh, 7), padding (0, 3)) -> BN -> ReLU -> max over frequency."""

    def __init__(self, cout, kh):
        super().__init__()
        self.conv = nn.Conv2d(1, cout, (kh, 7), padding=(0, 3))
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x))).max(2)[0]


class _ConvH(nn.Module):
    """Conv_H: mean over frequency -> Conv1d(1, cout, k, padding k // 2) -> BN -> ReLU."""

    def __init__(self, cout, k):
        super().__init__()
        self.conv = nn.Conv1d(1, cout, k, padding=k // 2)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x.mean(2))))


class _Conv1d(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.conv = nn.Conv1d(cin, 64, 7, padding=3)
        self.bn = nn.BatchNorm1d(64)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Musicnn(Tagger):
    """Musicnn(dataset != 'msd'): 64 back-end channels, 200 dense units; 3 s inputs (model.md)."""

    def __init__(self):
        super().__init__()
        self.spec, self.to_db = front_end()
        self.spec_bn = nn.BatchNorm2d(1)
        self.layers = nn.ModuleList([_ConvV(204, 67), _ConvV(204, 38), _ConvH(51, 129), _ConvH(51, 65), _ConvH(51, 33)])
        self.layer1, self.layer2, self.layer3 = _Conv1d(561), _Conv1d(64), _Conv1d(64)
        self.dense1 = nn.Linear(1506, 200)
        self.bn = nn.BatchNorm1d(200)
        self.dropout = nn.Dropout(0.5)
        self.dense2 = nn.Linear(200, 50)

    def forward(self, x):
        return torch.sigmoid(self.dense2(self.dropout(self.embed(x))))

    def embed_logmel(self, x):
        x = self.spec_bn(x)
        f = torch.cat([layer(x) for layer in self.layers], 1)
        r1 = self.layer1(f)
        r2 = self.layer2(r1) + r1
        r3 = self.layer3(r2) + r2
        g = torch.cat([f, r1, r2, r3], 1)
        return torch.relu(self.bn(self.dense1(torch.cat([g.max(2)[0], g.mean(2)], 1))))


def read_f32_wav(path):
    """A reference input: mono float32 after a plain 44-byte WAV header."""
    return torch.from_numpy(np.frombuffer(Path(path).read_bytes()[44:], dtype=np.float32).copy())


def reference_error(model, folder):
    """The largest |difference| of the model's 50 sigmoid outputs and of its embedding from the reference
    outputs in folder/reference/*.json, over their clips (input files there or in ../reference-audio)."""
    folder = Path(folder)
    worst_sigmoid = worst_embedding = 0.0
    for ref in sorted((folder / "reference").glob("*.json")):
        r = json.loads(ref.read_text())
        name = Path(r["input_file"]).name
        path = folder / "reference" / name
        x = read_f32_wav(path if path.exists() else folder.parent / "reference-audio" / name)[None]
        with torch.no_grad():
            worst_sigmoid = max(worst_sigmoid, float((model(x)[0] - torch.tensor(r["sigmoid"])).abs().max()))
            worst_embedding = max(worst_embedding, float((model.embed(x)[0] - torch.tensor(r["embedding"]["values"])).abs().max()))
    return worst_sigmoid, worst_embedding


def load(cls, folder):
    """cls() with the weights of ../shared/weights/<name>/weights.safetensors (strict), in eval mode."""
    model = cls()
    model.load_state_dict(read_safetensors(Path(folder) / "weights.safetensors"), strict=True)
    return model.eval()
