"""Timeline: emotion mixtures at keyframe times, sampled by linear interpolation.

The one definition every consumer (renderer, trainer, metrics) uses to put a timeline on
its own clock. Before the first keyframe and after the last the value is held constant.
JSON form: {"times": [...], "values": [[anger, disgust, fear, joy, neutral, sadness], ...]}.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dser.emotions import EMOTIONS, check_mixtures
from dser.files import write_text_atomic


def frame_count(duration_s: float, rate_hz: float) -> int:
    """Frames of a clock at `rate_hz` over a clip of `duration_s`: every frame that starts
    inside the clip, so the last may run past its end (video frames, model frames)."""
    return int(np.ceil(duration_s * rate_hz - 1e-9))


def frame_times(n_frames: int, rate_hz: float, centred: bool = False) -> np.ndarray:
    """(n_frames,) seconds of each frame of a clock: its start i / rate, or with `centred`
    its middle (i + 0.5) / rate (a model frame covers [i, i + 1) / rate)."""
    return (np.arange(n_frames, dtype=np.float64) + (0.5 if centred else 0.0)) / rate_hz


@dataclass(frozen=True)
class Timeline:
    times: np.ndarray  # (K,) seconds, strictly increasing
    values: np.ndarray  # (K, 6) one mixture per keyframe

    def __post_init__(self):
        times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        values = np.asarray(self.values, dtype=np.float64)
        if times.size == 0:
            raise ValueError("a timeline needs at least one keyframe")
        if not np.all(np.isfinite(times)):
            raise ValueError("timeline times contain NaN or infinite values")
        if np.any(np.diff(times) <= 0):
            raise ValueError("timeline times must be strictly increasing")
        check_mixtures(values)
        if values.shape[0] != times.size:
            raise ValueError(f"{times.size} times but {values.shape[0]} mixtures")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "values", values)

    def sample(self, at: np.ndarray | float) -> np.ndarray:
        """Mixtures at the given times: (T,) -> (T, 6), or a scalar time -> (6,)."""
        at = np.asarray(at, dtype=np.float64)
        flat = at.reshape(-1)
        out = np.stack([np.interp(flat, self.times, self.values[:, k]) for k in range(len(EMOTIONS))], axis=1)
        return out[0] if at.ndim == 0 else out

    def sample_at_rate(self, rate_hz: float, duration_s: float, centred: bool = False) -> np.ndarray:
        """(frame_count, 6) mixtures on a regular clock over [0, duration): see frame_times."""
        return self.sample(frame_times(frame_count(duration_s, rate_hz), rate_hz, centred))

    @property
    def dominant(self) -> list[str]:
        return [EMOTIONS[i] for i in self.values.argmax(axis=1)]

    def to_json(self) -> dict:
        return {"times": [round(float(t), 6) for t in self.times], "values": np.round(self.values, 6).tolist()}

    @classmethod
    def from_json(cls, data: dict) -> Timeline:
        try:
            return cls(times=data["times"], values=data["values"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a timeline: expected {{'times': [...], 'values': [[...]]}} ({exc})") from None

    @classmethod
    def load(cls, path: str | Path) -> Timeline:
        return cls.from_json(json.loads(Path(path).read_text()))

    def save(self, path: str | Path) -> None:
        write_text_atomic(path, json.dumps(self.to_json()))
