#!/usr/bin/env python3
"""Training speed, genre (libtorch, C++) against PyTorch in Python (Debian's python3-torch), same
architecture (cnn3, built layer for layer as in src/models/cnn3.cpp), batch, thread count and data
size, in the same run: the median time per epoch of forward, cross-entropy, backward and Adam step.
Usage: /usr/bin/python3 bench/train_speed.py [--build build] [--examples 256] [--batch 32] [--threads 2]"""
import argparse, os, statistics, subprocess, time
import torch
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build"))
ap.add_argument("--examples", type=int, default=256)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--epochs", type=int, default=3)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.MaxPool2d(2), nn.Dropout(0.15)]

class Cnn3(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(1, 1, 1, 1))
        self.register_buffer("std", torch.ones(1, 1, 1, 1))
        self.net = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                 nn.Linear(128, 64), nn.ReLU(inplace=True), nn.Dropout(0.3), nn.Linear(64, 10))
    def forward(self, x):
        return self.net((x - self.mean) / self.std)

model = Cnn3()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
x = torch.randn(a.examples, 1, 128, 173)
y = torch.randint(0, 10, (a.examples,))
model.train()
times = []
for e in range(a.epochs + 1):
    t = time.perf_counter()
    for s in range(0, a.examples, a.batch):
        loss = nn.functional.cross_entropy(model(x[s:s + a.batch]), y[s:s + a.batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    if e > 0:
        times.append(time.perf_counter() - t)
py = statistics.median(times)
out = subprocess.run([os.path.join(a.build, "bench", "bench_train"), "cnn3", str(a.examples), str(a.batch), str(a.threads),
                      str(a.epochs)], check=True, capture_output=True, text=True).stdout.split()
cpp = statistics.median(float(v) for v in out)
print(f"cnn3, {a.examples} examples of 1x128x173, batch {a.batch}, {a.threads} threads, median of {a.epochs} epochs:")
print(f"| PyTorch {torch.__version__} (Python) | {py:.3f} s/epoch |")
print(f"| genre (libtorch C++) | {cpp:.3f} s/epoch |")
print(f"genre / PyTorch time per epoch: {cpp / py:.2f}x (target <= 0.9x)")
