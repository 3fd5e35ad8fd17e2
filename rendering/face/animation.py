"""Per-video-frame face animation: speech mouth + emotion expression + idle life.

    weights(t) = combine(lipsync(audio)(t), expression(timeline(t))) + blinks(t)

The idle layer (blinks, slight head motion) depends only on `seed`, so two sequences of
the same clip rendered with the same seed differ by emotion alone.
"""
from dataclasses import dataclass

import numpy as np

from dser.timeline import Timeline, frame_count
from rendering.face.arkit import INDEX
from rendering.face.expressions import expression_weights
from rendering.face.lipsync import Mouth, mouth
from rendering.face.options import RenderOptions


class AnimationError(ValueError):
    pass


@dataclass
class Animation:
    fps: float
    weights: np.ndarray  # (T, 52) ARKit weights in [0, 1]
    head: np.ndarray  # (T, 3) yaw, pitch, roll in radians
    mouth_source: str  # "phonemes", "energy" (fallback) or "silence": see lipsync.Mouth

    @property
    def n_frames(self) -> int:
        return len(self.weights)


def _pair(name: str) -> list[int]:
    return [INDEX[name + "Left"], INDEX[name + "Right"]]


JAW, CLOSE = INDEX["jawOpen"], INDEX["mouthClose"]
ROUNDING = [INDEX["mouthFunnel"], INDEX["mouthPucker"]]
SPREADING = _pair("mouthSmile") + _pair("mouthStretch") + _pair("mouthDimple")
PRESSING = _pair("mouthPress")
BLINK = _pair("eyeBlink")


def combine(mouth: np.ndarray, expression: np.ndarray) -> np.ndarray:
    """Layer speech over expression so the mouth never tears:
    - speech owns the jaw: the expression's jaw only adds where speech leaves it closed;
    - rounded visemes (oo, w, sh) override spreading (smile, stretch, dimple);
    - an open jaw releases pressed lips;
    - mouthClose never exceeds jawOpen, and every weight stays in [0, 1]."""
    weights = expression + mouth
    weights[:, JAW] = np.maximum(mouth[:, JAW], expression[:, JAW] * (1 - mouth[:, CLOSE] / 0.08).clip(0, 1))
    rounding = mouth[:, ROUNDING].max(axis=1, keepdims=True)
    weights[:, SPREADING] = mouth[:, SPREADING] + expression[:, SPREADING] * (1 - rounding)
    weights[:, PRESSING] = mouth[:, PRESSING] + expression[:, PRESSING] * (1 - 2 * weights[:, [JAW]]).clip(0, 1)
    weights = weights.clip(0.0, 1.0)
    weights[:, CLOSE] = np.minimum(weights[:, CLOSE], weights[:, JAW])
    return weights


def blinks(n_frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(T,) eyelid closure: a 0.2 s blink every 2-5 s."""
    closure = np.zeros(n_frames)
    t = rng.uniform(0.5, 2.5)
    duration = n_frames / fps
    shape_t = np.linspace(-1, 1, max(3, int(round(0.2 * fps))))
    shape = 1 - np.abs(shape_t)
    while t < duration:
        start = int(t * fps)
        end = min(n_frames, start + len(shape))
        closure[start:end] = np.maximum(closure[start:end], shape[: end - start])
        t += rng.uniform(2.0, 5.0)
    return closure


def head_motion(n_frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(T, 3) slow sway of about 2 degrees: two sinusoids per axis with seeded phases."""
    t = np.arange(n_frames)[:, None] / fps
    frequencies = rng.uniform(0.08, 0.35, size=(2, 3))
    phases = rng.uniform(0, 2 * np.pi, size=(2, 3))
    amplitude = np.radians([2.0, 1.5, 1.0])
    sway = np.sin(2 * np.pi * frequencies[0] * t + phases[0]) + 0.5 * np.sin(2 * np.pi * frequencies[1] * t + phases[1])
    return sway * amplitude / 1.5


def animate(samples: np.ndarray, rate: int, timeline: Timeline, fps: float = RenderOptions.fps, seed: int = 0,
            speech: Mouth | None = None) -> Animation:
    """Animation for mono `samples` at `rate` Hz, with the emotion of `timeline`; `speech`
    is the clip's mouth if already analysed (lipsync.mouth), else it is analysed here."""
    duration = len(samples) / rate
    n_frames = frame_count(duration, fps)
    if n_frames < 1 or duration < 1 / fps:
        raise AnimationError(f"audio of {duration:.3f} s is shorter than one video frame ({1 / fps:.3f} s)")
    if not np.all(np.isfinite(samples)):
        raise AnimationError("audio contains NaN or infinite samples")
    mixtures = timeline.sample_at_rate(fps, duration)[:n_frames]
    if speech is None:
        speech = mouth(samples, rate, fps, n_frames)
    elif speech.weights.shape[0] != n_frames:
        raise AnimationError(f"the mouth has {speech.weights.shape[0]} frames, the audio {n_frames}")
    weights = combine(speech.weights, expression_weights(mixtures))
    rng = np.random.default_rng(seed)
    closure = blinks(n_frames, fps, rng)[:, None]
    weights[:, BLINK] = weights[:, BLINK] + (1 - weights[:, BLINK]) * closure
    return Animation(fps=fps, weights=weights, head=head_motion(n_frames, fps, rng), mouth_source=speech.source)
