#!/usr/bin/python3
"""The reference stack's version of genre's transfer pipeline, for bench/side_by_side.sh.

    /usr/bin/python3 bench/side_by_side.py embed LIST OUT.npy [THREADS] [--flush-denormal] [--front-end-f64]
                                                                          # files -> msd-fcn embeddings
    /usr/bin/python3 bench/side_by_side.py exact LIST GENRE.npy PYTHON.npy [PYTHON_F64.npy]
                                                                          # the 5 most different files in float64
    /usr/bin/python3 bench/side_by_side.py folds LIST OUT_DIR             # 5 song-grouped folds as genre split files
    /usr/bin/python3 bench/side_by_side.py head LIST EMB.npy SPLIT_DIR    # logistic regression per fold: accuracy

The same pipeline as `genre embed --model msd-fcn` and `genre train --backbone msd-fcn --freeze --model logreg`,
written as the upstream project (minzwon/sota-music-tagging-models, training/model.py FCN) and a Python user would:
decode with soundfile (libsndfile), mix to mono, resample to 16 kHz with libsoxr (SOXR_HQ, called through ctypes:
genre's resampler, so both sides see the same input), torchaudio's MelSpectrogram + AmplitudeToDB with the stored
window and filter bank, the FCN's five conv blocks in torch, 29 s windows every 14.5 s (a clip shorter than one
window is repeated to fill it), the mean of a file's window embeddings. The head is sklearn's standardisation +
multinomial logistic regression. Debian's python3-torch, -torchaudio, -soundfile, -sklearn; never a genre dependency.
Before use, the network reproduces ../shared/weights/msd-fcn/reference (the embedding within 1e-4).
"""
import ctypes
import os
import sys
import time
from pathlib import Path

import numpy as np

WEIGHTS = Path(os.environ.get("GENRE_WEIGHTS_DIR", Path(__file__).resolve().parent.parent.parent / "shared" / "weights"))
RATE, WINDOW, HOP = 16000, 464000, 232000


def fcn():
    """The upstream FCN (tools/taggers.py) with msd-fcn's weights, in eval mode."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import taggers
    return taggers.load(taggers.FCN, WEIGHTS / "msd-fcn")


_soxr = ctypes.CDLL("libsoxr.so.0")


class _IoSpec(ctypes.Structure):
    _fields_ = [("itype", ctypes.c_int), ("otype", ctypes.c_int), ("scale", ctypes.c_double), ("e", ctypes.c_void_p),
                ("flags", ctypes.c_ulong)]


class _QSpec(ctypes.Structure):
    _fields_ = [("precision", ctypes.c_double), ("phase_response", ctypes.c_double), ("passband_end", ctypes.c_double),
                ("stopband_begin", ctypes.c_double), ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]


_soxr.soxr_io_spec.argtypes = [ctypes.c_int, ctypes.c_int]
_soxr.soxr_io_spec.restype = _IoSpec
_soxr.soxr_quality_spec.argtypes = [ctypes.c_ulong, ctypes.c_ulong]
_soxr.soxr_quality_spec.restype = _QSpec
_soxr.soxr_oneshot.restype = ctypes.c_char_p


def resample(y, sr):
    """libsoxr's one-shot resampling to 16 kHz, SOXR_HQ (recipe 4), float32: genre's setting."""
    if sr == RATE:
        return y
    y = np.ascontiguousarray(y, dtype=np.float32)
    out = np.zeros(int(len(y) * RATE / sr + 0.5), dtype=np.float32)
    done = ctypes.c_size_t(0)
    io = _soxr.soxr_io_spec(0, 0)  # SOXR_FLOAT32_I in and out
    q = _soxr.soxr_quality_spec(4, 0)
    err = _soxr.soxr_oneshot(ctypes.c_double(sr), ctypes.c_double(RATE), ctypes.c_uint(1),
                             y.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(len(y)), None,
                             out.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(len(out)), ctypes.byref(done),
                             ctypes.byref(io), ctypes.byref(q), None)
    if err:
        raise RuntimeError(err.decode())
    return out[:done.value]


def windows(y):
    """29 s windows every 14.5 s that fit whole; a shorter clip is repeated to fill one window."""
    if len(y) < WINDOW:
        return np.resize(y, WINDOW)[None, :] if len(y) else np.zeros((0, WINDOW), np.float32)
    starts = range(0, len(y) - WINDOW + 1, HOP)
    return np.stack([y[s:s + WINDOW] for s in starts])


def check_reference(net):
    from taggers import reference_error
    worst = reference_error(net, WEIGHTS / "msd-fcn")[1]
    if worst > 1e-4:
        sys.exit(f"side_by_side.py: the Python FCN misses the reference embedding by {worst:.2e}")
    print(f"python FCN against ../shared/weights/msd-fcn/reference: embedding within {worst:.1e}", file=sys.stderr)


def embed_f64_front_end(net, w):
    """The same network with its front end (the stored window and filter bank, net.spec made float64
    by the caller) in float64, the log-mel rounded once to float32 for the float32 network: the
    reference pipeline without float32 rounding in its STFT and mel bands."""
    return net.embed_logmel(net.logmel(w.double()).float())


def embed(list_file, out, threads, flush_denormal=False, front_end_f64=False):
    import soundfile
    import torch
    torch.set_num_threads(threads)
    torch.set_flush_denormal(flush_denormal)  # genre flushes denormals to zero (README: "Denormals")
    net = fcn()
    check_reference(net)
    if front_end_f64:
        net.spec.double()  # its buffers in float64 once, not per file
    files = Path(list_file).read_text().splitlines()
    rows = []
    t0 = time.perf_counter()
    with torch.no_grad():
        for f in files:
            y, sr = soundfile.read(f, dtype="float32", always_2d=True)
            w = torch.from_numpy(windows(resample(y.mean(axis=1), sr)))
            e = embed_f64_front_end(net, w) if front_end_f64 else net.embed(w)
            rows.append(e.mean(0).numpy())
    seconds = time.perf_counter() - t0
    np.save(out, np.stack(rows).astype(np.float32))
    print(f"python: {len(files)} files in {seconds:.1f} s: {len(files) / seconds:.2f} files/s ({threads} torch threads, "
          f"flush denormal {flush_denormal}, front end in {'float64' if front_end_f64 else 'float32'})")


def exact(list_file, genre_npy, python_npy, python_f64_npy=None, worst=5):
    """On the files where genre and Python differ most: each against the same Python model run in float64
    (with the PYTHON_F64 embeddings, of the float64 front end, too)."""
    import soundfile
    import torch
    files = Path(list_file).read_text().splitlines()
    g, p = np.load(genre_npy), np.load(python_npy)
    q = np.load(python_f64_npy) if python_f64_npy else None
    net = fcn().double()
    dg = dp = dq = 0.0
    for i in np.argsort(-np.abs(g - p).max(1))[:worst]:
        y, sr = soundfile.read(files[i], dtype="float32", always_2d=True)
        with torch.no_grad():
            e = net.embed(torch.from_numpy(windows(resample(y.mean(axis=1), sr))).double()).mean(0).numpy()
        dg, dp = max(dg, float(np.abs(g[i] - e).max())), max(dp, float(np.abs(p[i] - e).max()))
        if q is not None:
            dq = max(dq, float(np.abs(q[i] - e).max()))
    print(f"on the {worst} files that differ most, against the same model in float64: genre within {dg:.1e}, "
          f"the Python float32 pipeline within {dp:.1e}"
          + (f", the Python pipeline with its front end in float64 within {dq:.1e}" if q is not None else ""))


def song_of(f):
    return Path(f).parent.name + "/" + Path(f).stem


def folds(list_file, out_dir):
    """Five folds stratified by genre and grouped by song; run F tests on fold F, validates on F+1, trains on the
    rest (genre's kfold layout), written as genre list splits: '<train|valid|test> <label>/<name>' lines."""
    from sklearn.model_selection import StratifiedGroupKFold
    files = Path(list_file).read_text().splitlines()
    labels = [Path(f).parent.name for f in files]
    fold_of = np.zeros(len(files), int)
    for k, (_, test) in enumerate(StratifiedGroupKFold(5, shuffle=True, random_state=0).split(files, labels, [song_of(f) for f in files])):
        fold_of[test] = k
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for run in range(5):
        part = {run: "test", (run + 1) % 5: "valid"}
        lines = [f"{part.get(fold_of[i], 'train')} {song_of(f)}" for i, f in enumerate(files)]
        (Path(out_dir) / f"fold{run}.txt").write_text("\n".join(lines) + "\n")


def head(list_file, emb, split_dir):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    files = Path(list_file).read_text().splitlines()
    X = np.load(emb)
    labels = np.array([Path(f).parent.name for f in files])
    correct = 0
    for run in range(5):
        # genre trains on the train part (its valid part only stops the training early) and tests on the test part.
        parts = np.array([l.split()[0] for l in (Path(split_dir) / f"fold{run}.txt").read_text().splitlines()])
        train, test = parts == "train", parts == "test"
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X[train], labels[train])
        pred = clf.predict(X[test])
        correct += int((pred == labels[test]).sum())
        print(f"python head fold {run}: {float((pred == labels[test]).mean()):.3f}")
    print(f"python head, 5 folds pooled: {correct / len(files):.3f} accuracy ({correct}/{len(files)})")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "embed":
        embed(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4][0] != "-" else 1,
              "--flush-denormal" in sys.argv, "--front-end-f64" in sys.argv)
    elif cmd == "exact":
        exact(sys.argv[2], sys.argv[3], sys.argv[4], *sys.argv[5:6])
    elif cmd == "folds":
        folds(sys.argv[2], sys.argv[3])
    elif cmd == "head":
        head(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
