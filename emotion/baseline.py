"""A classical peer for every accuracy table: utterance statistics of MFCCs, pitch and energy
fed to a logistic regression (scikit-learn). If a neural model does not beat it on the same
held-out data, it has not earned its cost.

Features per utterance (25 ms frames, 10 ms hop, 16 kHz):
  13 MFCCs and their deltas: mean and standard deviation of each         52
  pitch (autocorrelation, 60-400 Hz, voiced frames): mean, std, 10th and 90th percentile,
    voiced share                                                          5
  log energy: mean, std, 10th and 90th percentile; speaking rate proxy
    (energy peaks per second)                                             5
"""
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.signal
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dser.audio import SAMPLE_RATE
from emotion.prosody import VOICED_STRENGTH, autocorrelation_pitch

FRAME, HOP, N_FFT, N_MELS, N_MFCC = 400, 160, 512, 40, 13


def _frames(samples: np.ndarray) -> np.ndarray:
    """(F, FRAME) overlapping frames; a clip shorter than one frame is zero-padded."""
    samples = np.pad(samples, (0, max(0, FRAME - len(samples))))
    count = 1 + (len(samples) - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    return samples[index]


def _mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters evenly spaced on the mel scale."""
    def mel(hz):
        return 2595 * np.log10(1 + hz / 700)

    def hz(m):
        return 700 * (10 ** (m / 2595) - 1)

    edges = hz(np.linspace(mel(0), mel(SAMPLE_RATE / 2), N_MELS + 2))
    bins = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0, np.minimum((bins - low) / (centre - low), (high - bins) / (high - centre)))


MEL = _mel_filterbank()


def mfcc(frames: np.ndarray) -> np.ndarray:
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(FRAME), N_FFT)) ** 2  # (F, bins)
    return scipy.fft.dct(np.log(spectrum @ MEL.T + 1e-10), norm="ortho", axis=1)[:, :N_MFCC]  # (F, 13)


def pitch(frames: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """F0 in Hz per frame (emotion.prosody); 0 for unvoiced or quiet frames."""
    f0, strength = (t.numpy() for t in autocorrelation_pitch(torch.from_numpy(frames)))
    voiced = (strength > VOICED_STRENGTH) & (energy > np.percentile(energy, 30))
    return np.where(voiced, f0, 0.0)


def features(samples: np.ndarray) -> np.ndarray:
    """(62,) statistics of one utterance (see the module's docstring)."""
    frames = _frames(samples.astype(np.float64))
    coefficients = mfcc(frames)
    deltas = np.gradient(coefficients, axis=0) if len(coefficients) > 1 else np.zeros_like(coefficients)
    log_energy = np.log((frames ** 2).mean(axis=1) + 1e-10)
    f0 = pitch(frames, log_energy)
    voiced = f0[f0 > 0]
    f0_stats = [voiced.mean(), voiced.std(), *np.percentile(voiced, [10, 90])] if voiced.size else [0.0] * 4
    peaks = len(scipy.signal.find_peaks(log_energy, prominence=1.0)[0]) / (len(samples) / SAMPLE_RATE)
    return np.concatenate([coefficients.mean(0), coefficients.std(0), deltas.mean(0), deltas.std(0),
                           f0_stats, [voiced.size / len(f0)],
                           [log_energy.mean(), log_energy.std(), *np.percentile(log_energy, [10, 90]), peaks]])


@dataclass
class Baseline:
    model: object

    @classmethod
    def fit(cls, audio: list[np.ndarray], labels: list[int]) -> "Baseline":
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
        return cls(classifier.fit(np.stack([features(a) for a in audio]), labels))

    def predict(self, audio: list[np.ndarray]) -> np.ndarray:
        return self.model.predict(np.stack([features(a) for a in audio]))
