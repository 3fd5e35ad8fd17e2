"""Speech -> mouth animation as ARKit weights per video frame.

Phonemes come from `hama`'s offline phoneme recogniser (IPA, with times), become the 15
Oculus visemes through `openfacefx`'s IPA preset, and each viseme is a small set of ARKit
mouth shapes. Viseme curves are cross-faded over ~60 ms and gated by the audio's loudness,
so silence keeps the jaw closed. If the recogniser is unavailable or hears nothing, an
energy-driven jaw is used instead.
"""
import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dser.files import atomic_path
from rendering.face.arkit import ARKIT_BLENDSHAPES, weights_from

log = logging.getLogger(__name__)

# Oculus viseme -> ARKit mouth shapes. mouthClose never exceeds jawOpen (the lips would
# pass through each other), so closures open the jaw a little and close the lips as much.
VISEME_SHAPES: dict[str, dict[str, float]] = {
    "sil": {},
    "PP": {"jawOpen": 0.08, "mouthClose": 0.08, "mouthPress*": 0.4, "mouthRollLower": 0.2},
    "FF": {"jawOpen": 0.1, "mouthRollLower": 0.55, "mouthUpperUp*": 0.25},
    "TH": {"jawOpen": 0.2, "tongueOut": 0.35},
    "DD": {"jawOpen": 0.25, "mouthStretch*": 0.1},
    "kk": {"jawOpen": 0.3, "mouthStretch*": 0.1},
    "CH": {"jawOpen": 0.2, "mouthFunnel": 0.55, "mouthPucker": 0.3},
    "SS": {"jawOpen": 0.1, "mouthStretch*": 0.3},
    "nn": {"jawOpen": 0.18},
    "RR": {"jawOpen": 0.2, "mouthFunnel": 0.35, "mouthPucker": 0.4},
    "aa": {"jawOpen": 0.6, "mouthLowerDown*": 0.3},
    "E": {"jawOpen": 0.35, "mouthStretch*": 0.3},
    "I": {"jawOpen": 0.2, "mouthStretch*": 0.45},
    "O": {"jawOpen": 0.45, "mouthFunnel": 0.6},
    "U": {"jawOpen": 0.18, "mouthPucker": 0.8, "mouthFunnel": 0.3},
}
CROSSFADE_S = 0.06
JAW = ARKIT_BLENDSHAPES.index("jawOpen")


def loudness(samples: np.ndarray, rate: int, fps: float, n_frames: int) -> np.ndarray:
    """Per-video-frame loudness in [0, 1]: RMS over the frame, in dB, mapped from -45..-15 dBFS
    relative to the clip's peak frame."""
    hop = rate / fps
    rms = np.zeros(n_frames)
    for i in range(n_frames):
        chunk = samples[int(i * hop): int((i + 1) * hop)]
        rms[i] = np.sqrt(np.mean(chunk ** 2)) if chunk.size else 0.0
    if rms.max() <= 1e-5:  # digital silence
        return np.zeros(n_frames)
    db = 20 * np.log10(rms / rms.max() + 1e-9)
    return np.clip((db + 45) / 30, 0.0, 1.0)


@functools.lru_cache(maxsize=1)
def _recogniser():
    from hama.asr import ASRModel

    return ASRModel()


@functools.lru_cache(maxsize=1)
def _viseme_matrix() -> tuple[list[str], np.ndarray]:
    from openfacefx.visemes import VISEMES

    return VISEMES, np.stack([weights_from(VISEME_SHAPES[v]) for v in VISEMES])  # (15, 52)


def viseme_curves(samples: np.ndarray, rate: int, fps: float, n_frames: int) -> np.ndarray | None:
    """(n_frames, 15) viseme weights from recognised phonemes, or None if none were heard."""
    from openfacefx.ipa import IPA_MAPPING

    try:
        recogniser = _recogniser()
        spans = recogniser.phoneme_spans(recogniser.transcribe_waveform(samples, rate))
    except Exception as exc:  # an optional engine: fall back rather than fail the render
        log.warning("phoneme recogniser failed (%s); using the energy jaw", exc)
        return None
    if not spans:
        return None
    visemes, _ = _viseme_matrix()
    curves = np.zeros((n_frames, len(visemes)))
    for span in spans:
        first, last = int(span.start_ms / 1000 * fps), int(np.ceil(span.end_ms / 1000 * fps))
        for index, weight in IPA_MAPPING.row(span.phoneme).items():
            curves[first:max(last, first + 1), index] = np.maximum(curves[first:max(last, first + 1), index], weight)
    width = max(1, int(round(CROSSFADE_S * fps)))
    kernel = np.bartlett(2 * width + 1)
    kernel /= kernel.sum()
    return np.stack([np.convolve(curves[:, k], kernel, mode="same") for k in range(curves.shape[1])], axis=1)


@dataclass(frozen=True)
class Mouth:
    """Speech-driven ARKit weights of a clip and what drove them: "phonemes" (the
    recogniser heard speech), "energy" (the fallback jaw) or "silence"."""
    weights: np.ndarray  # (n_frames, 52), read-only: mouth and jaw only
    source: str

    def save(self, path: Path) -> None:
        with atomic_path(path) as partial:
            np.savez(partial, weights=self.weights, source=self.source)

    @classmethod
    def load(cls, path: Path) -> "Mouth":
        with np.load(path) as data:
            weights = data["weights"]
            weights.flags.writeable = False
            return cls(weights, str(data["source"]))


def mouth(samples: np.ndarray, rate: int, fps: float, n_frames: int) -> Mouth:
    """The clip's mouth. It depends on the audio alone, so the five sequences of a clip
    share one analysis (cached)."""
    key = (hashlib.sha1(np.ascontiguousarray(samples).tobytes()).hexdigest(), rate, fps, n_frames)
    if key not in _cache:
        if len(_cache) >= 8:
            _cache.pop(next(iter(_cache)))
        _cache[key] = _analyse(samples, rate, fps, n_frames)
        _cache[key].weights.flags.writeable = False
    return _cache[key]


_cache: dict[tuple, Mouth] = {}


def _analyse(samples: np.ndarray, rate: int, fps: float, n_frames: int) -> Mouth:
    gate = loudness(samples, rate, fps, n_frames)
    curves = viseme_curves(samples, rate, fps, n_frames) if gate.any() else None
    if curves is None:
        weights = np.zeros((n_frames, len(ARKIT_BLENDSHAPES)))
        weights[:, JAW] = 0.5 * gate
        return Mouth(weights, "energy" if gate.any() else "silence")
    _, matrix = _viseme_matrix()
    return Mouth((curves @ matrix) * np.minimum(1.0, 2.0 * gate)[:, None], "phonemes")
