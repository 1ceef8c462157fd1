#!/usr/bin/env python3
"""Side-by-side front-end benchmark, one thread each, on the same 30 s clip in the same run:
genre (C++, Google Benchmark) against torchaudio's log-mel and a NumPy/SciPy implementation of
librosa's 57-feature row (bench/reference_features.py). Prints a Markdown table for the README.
Usage: /usr/bin/python3 bench/compare.py [--build build] [--clip FILE]   (needs scripts/setup.sh --python)"""
import argparse, json, os, statistics, subprocess, sys, time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
import numpy as np
import soundfile as sf
import torch, torchaudio

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_features as ref

ap = argparse.ArgumentParser()
ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
ap.add_argument("--clip", default=os.path.join(HERE, "..", "tests", "data", "gtzan", "jazz", "jazz.00001.flac"))
args = ap.parse_args()
torch.set_num_threads(1)


def timeit(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


y, sr = sf.read(args.clip, dtype="float32")
assert sr == 22050, "the benchmark clip must be 22050 Hz"
yt = torch.from_numpy(y)
mel = torchaudio.transforms.MelSpectrogram(sample_rate=sr, n_fft=2048, hop_length=512, n_mels=128, norm="slaney",
                                           mel_scale="slaney", pad_mode="reflect")
to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=80)
ta_logmel = timeit(lambda: to_db(mel(yt)), 30)
np_row_ms = timeit(lambda: ref.feature_row(y, sr), 5)
np_decode = timeit(lambda: sf.read(args.clip, dtype="float32"), 20)

env = dict(os.environ, GENRE_BENCH_CLIP=os.path.abspath(args.clip))
out = subprocess.run([os.path.join(args.build, "bench", "bench_features"), "--benchmark_format=json",
                      "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"],
                     env=env, check=True, capture_output=True, text=True).stdout
cpp = {b["run_name"]: b["real_time"] for b in json.loads(out)["benchmarks"] if b.get("aggregate_name") == "median"}

# Cross-check: genre's row against the NumPy reference on this clip.
csv = subprocess.run([os.path.join(args.build, "genre"), "features", args.clip, "--format", "csv"],
                     check=True, capture_output=True, text=True).stdout.splitlines()
ours = np.array([float(v) for v in csv[1].split(",")[2:-1]])
theirs = np.array(ref.feature_row(y, sr))
rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)

print(f"clip: {os.path.relpath(args.clip)} ({len(y) / sr:.1f} s); one thread each; medians")
print()
print("| task | genre (C++) | reference | reference time | genre speed-up |")
print("|---|---|---|---|---|")
rows = [("log-mel, 128 bands, top_db 80", cpp["BM_LogMel30s"], "torchaudio " + torchaudio.__version__, ta_logmel),
        ("57-feature GTZAN row", cpp["BM_FeatureRow30s"], "NumPy/SciPy librosa-equivalent", np_row_ms),
        ("decode FLAC to float32", cpp["BM_Decode30s"], "python3-soundfile", np_decode)]
for name, ours_ms, who, theirs_ms in rows:
    print(f"| {name} | {ours_ms:.2f} ms | {who} | {theirs_ms:.2f} ms | {theirs_ms / ours_ms:.1f}x |")
print()
print(f"cross-check against the NumPy reference: median relative difference {np.median(rel):.1e}, "
      f"largest {rel.max():.1e} ({['tempo'] if rel.argmax() == 16 else rel.argmax()})")
