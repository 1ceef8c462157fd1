"""NumPy/SciPy reference for the GTZAN 57-feature row: librosa 0.7's algorithms (the code that made
features_30_sec.csv) written out with numpy.fft, scipy.ndimage and scipy.fftpack, since Debian has
no librosa package. Used by bench/compare.py as the "librosa-equivalent" timing reference and as a
cross-check of genre's numbers. Array layout follows librosa: (bins, frames)."""
import numpy as np
import scipy.fftpack
import scipy.ndimage
import scipy.signal

N_FFT, HOP = 2048, 512
TINY32 = np.finfo(np.float32).tiny


def stft(y):
    win = scipy.signal.get_window("hann", N_FFT, fftbins=True)
    yp = np.pad(y, N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(yp, N_FFT)[::HOP]
    return np.fft.rfft(frames * win, axis=1).astype(np.complex64).T


def istft(D, length):
    win = scipy.signal.get_window("hann", N_FFT, fftbins=True)
    T = D.shape[1]
    n = N_FFT + HOP * (T - 1)
    frames = np.fft.irfft(D.T, n=N_FFT, axis=1) * win
    y = np.zeros(n, np.float32)
    wss = np.zeros(n, np.float32)
    for t in range(T):
        y[t * HOP:t * HOP + N_FFT] += frames[t]
        wss[t * HOP:t * HOP + N_FFT] += win ** 2
    nz = wss > TINY32
    y[nz] /= wss[nz]
    y = y[N_FFT // 2:-(N_FFT // 2)]
    out = np.zeros(length, np.float32)
    out[:min(length, len(y))] = y[:length]
    return out


def hz_to_mel(f):
    f = np.asanyarray(f, dtype=float)
    return np.where(f >= 1000, 15 + np.log(np.maximum(f, 1e-10) / 1000) / (np.log(6.4) / 27), f / (200 / 3))


def mel_to_hz(m):
    m = np.asanyarray(m, dtype=float)
    return np.where(m >= 15, 1000 * np.exp(np.log(6.4) / 27 * (m - 15)), m * 200 / 3)


def mel_filters(sr, n_mels=128):
    fftfreqs = np.linspace(0, sr / 2, 1 + N_FFT // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    w = np.zeros((n_mels, len(fftfreqs)), np.float32)
    for i in range(n_mels):
        w[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    w *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return w


def power_to_db(S, top_db=80.0):
    d = 10.0 * np.log10(np.maximum(1e-10, S))
    return np.maximum(d, d.max() - top_db)


def piptrack_tuning(S, sr):
    freqs = np.linspace(0, sr / 2, 1 + N_FFT // 2)
    avg = 0.5 * (S[2:] - S[:-2])
    shift = 2 * S[1:-1] - S[2:] - S[:-2]
    shift = avg / (shift + (np.abs(shift) < TINY32))
    avg = np.pad(avg, ([1, 1], [0, 0]))
    shift = np.pad(shift, ([1, 1], [0, 0]))
    x = S * (S > 0.1 * S.max(axis=0))
    xp = np.pad(x, ([1, 1], [0, 0]), mode="edge")
    peaks = (x > xp[:-2]) & (x >= xp[2:]) & ((freqs >= 150) & (freqs < 4000))[:, None]
    k, t = np.nonzero(peaks)
    pitch = ((k + shift[k, t]) * sr / N_FFT).astype(np.float32)
    mag = S[k, t] + 0.5 * avg[k, t] * shift[k, t]
    keep = pitch > 0
    pitch, mag = pitch[keep], mag[keep]
    f = pitch[mag >= np.median(mag)] if len(mag) else pitch
    f = f[f > 0]
    if not len(f):
        return 0.0
    r = np.mod(12 * np.log2(f / np.float32(27.5)), 1.0)
    r[r >= 0.5] -= 1.0
    counts, edges = np.histogram(r, np.linspace(-0.5, 0.5, 101))
    return edges[np.argmax(counts)]


def chroma_filters(sr, tuning):
    a440 = 440.0 * 2.0 ** (tuning / 12)
    freqs = np.linspace(0, sr, N_FFT, endpoint=False)[1:]
    frq = 12 * np.log2(freqs / (a440 / 16))
    frq = np.concatenate(([frq[0] - 18], frq))
    width = np.concatenate((np.maximum(frq[1:] - frq[:-1], 1.0), [1]))
    D = np.subtract.outer(frq, np.arange(12, dtype="d")).T
    D = np.remainder(D + 6 + 120, 12) - 6
    w = np.exp(-0.5 * (2 * D / width) ** 2)
    w /= np.maximum(np.sqrt((w ** 2).sum(axis=0)), TINY32)
    w *= np.exp(-0.5 * ((frq / 12 - 5) / 2) ** 2)
    return np.roll(w, -3, axis=0)[:, :1 + N_FFT // 2].astype(np.float32)


def frame(x, length, hop):
    return np.lib.stride_tricks.sliding_window_view(x, length)[::hop]


def tempo(mel_db, sr):
    flux = np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1])
    env = np.pad(np.median(flux, axis=0), (1 + N_FFT // (2 * HOP), 0))[:mel_db.shape[1]]
    win = int(8.0 * sr) // HOP
    padded = np.pad(env, win // 2, mode="linear_ramp", end_values=0)
    fr = frame(padded, win, 1)[:len(env)] * scipy.signal.get_window("hann", win, fftbins=True)
    p = np.abs(np.fft.rfft(fr, n=2 * win - 1, axis=1)) ** 2
    ac = np.fft.irfft(p, n=2 * win - 1, axis=1)[:, :win]
    ac /= np.maximum(np.abs(ac).max(axis=1, keepdims=True), np.finfo(float).tiny)
    tg = ac.mean(axis=0)
    with np.errstate(divide="ignore"):
        bpm = 60.0 * sr / (HOP * np.arange(win, dtype=float))
        logprior = -0.5 * (np.log2(bpm) - np.log2(120.0)) ** 2
    logprior[:np.argmax(bpm < 320.0)] = -np.inf
    return bpm[np.argmax(np.log1p(1e6 * tg) + logprior)]


def feature_row(y, sr=22050):
    y = np.asarray(y, np.float32)
    D = stft(y)
    mag = np.abs(D)
    power = mag ** 2
    out = []

    def mv(x):
        out.extend([float(np.mean(x)), float(np.var(x))])

    chroma = chroma_filters(sr, piptrack_tuning(power, sr)) @ power
    mv(chroma / np.where(chroma.max(axis=0) < TINY32, 1, chroma.max(axis=0)))
    mv(np.sqrt(np.mean(frame(np.pad(y, N_FFT // 2, mode="reflect"), N_FFT, HOP) ** 2, axis=1)))
    freqs = np.linspace(0, sr / 2, 1 + N_FFT // 2)[:, None]
    norm = mag / np.where(mag.sum(axis=0) < TINY32, 1, mag.sum(axis=0))
    centroid = (freqs * norm).sum(axis=0)
    mv(centroid)
    mv(np.sqrt((norm * (freqs - centroid) ** 2).sum(axis=0)))
    c = np.cumsum(mag, axis=0)
    mv(np.nanmin(np.where(c < 0.85 * c[-1], np.nan, 1) * freqs, axis=0))
    zp = frame(np.pad(y, N_FFT // 2, mode="edge"), N_FFT, HOP)
    sign = np.signbit(np.where(np.abs(zp) <= 1e-10, 0, zp))
    mv((sign[:, 1:] != sign[:, :-1]).sum(axis=1) / N_FFT)
    H = scipy.ndimage.median_filter(mag, size=(1, 31), mode="reflect")
    P = scipy.ndimage.median_filter(mag, size=(31, 1), mode="reflect")
    Z = np.maximum(H, P)
    bad = Z < TINY32
    Z[bad] = 1
    mh, mp = (H / Z) ** 2, (P / Z) ** 2
    mask_h = np.where(bad, 0.5, mh / (mh + mp + bad))
    mask_p = np.where(bad, 0.5, mp / (mh + mp + bad))
    phase = np.exp(1.0j * np.angle(D))
    mv(istft(mag * mask_h * phase, len(y)))
    mv(istft(mag * mask_p * phase, len(y)))
    mel_db = power_to_db(mel_filters(sr) @ power)
    out.append(float(tempo(mel_db, sr)))
    mfcc = scipy.fftpack.dct(mel_db, axis=0, type=2, norm="ortho")[:20]
    for row in mfcc:
        mv(row)
    return out
