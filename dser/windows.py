"""Sliding-window parameters: where the windows of a clip lie, and the seeded draw of
several distinct (window, stride) pairs for the annotation study.

Windows start at 0 and step by the stride until one reaches the clip's end, so the whole
clip is covered; the last may be cut short by the end, and a clip shorter than the window
is one window. A window's prediction belongs to its centre.
"""
import hashlib
import math
from dataclasses import dataclass

import numpy as np

# The paper's range for the five annotated sequences of a clip.
PARAM_LOW_S, PARAM_HIGH_S = 0.25, 1.25
DEFAULT_MIN_DISTANCE_S = 0.15  # two pairs closer than this (max over window, stride) look alike


@dataclass(frozen=True)
class WindowParams:
    window_s: float
    stride_s: float

    def __post_init__(self):
        if not (self.window_s > 0 and self.stride_s > 0):
            raise ValueError(f"window and stride must be positive, got {self.window_s}, {self.stride_s}")

    def spans(self, duration_s: float) -> list[tuple[float, float]]:
        """(start, end) seconds of every window over a clip of `duration_s`."""
        if duration_s <= self.window_s:
            return [(0.0, duration_s)]
        count = math.ceil((duration_s - self.window_s) / self.stride_s - 1e-9) + 1
        return [(i * self.stride_s, min(i * self.stride_s + self.window_s, duration_s)) for i in range(count)]

    def to_json(self) -> dict:
        return {"window_s": round(self.window_s, 6), "stride_s": round(self.stride_s, 6)}


# The paper's stage-2 targets: a stage-1 model over 1.4 s windows every 1.0 s.
STAGE2_TARGET_PARAMS = WindowParams(window_s=1.4, stride_s=1.0)

# The longest window any part uses. A sliding-window timeline's last keyframe sits at its last
# window's centre, which is at most half a window before the clip's end.
MAX_WINDOW_S = max(PARAM_HIGH_S, STAGE2_TARGET_PARAMS.window_s)


def clip_seed(clip_key: str, round_: int = 0) -> int:
    """A stable seed from a clip's identity, so its draw is the same on every machine."""
    return int.from_bytes(hashlib.sha256(f"{clip_key}#{round_}".encode()).digest()[:8], "little")


def draw_params(seed: int, count: int, min_distance_s: float = DEFAULT_MIN_DISTANCE_S,
                low_s: float = PARAM_LOW_S, high_s: float = PARAM_HIGH_S, max_tries: int = 10_000) -> list[WindowParams]:
    """`count` (window, stride) pairs uniform in [low, high]^2, no two within `min_distance_s`
    of each other (Chebyshev distance), reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    chosen: list[WindowParams] = []
    for _ in range(max_tries):
        window, stride = rng.uniform(low_s, high_s, size=2)
        if all(max(abs(window - p.window_s), abs(stride - p.stride_s)) >= min_distance_s for p in chosen):
            chosen.append(WindowParams(float(window), float(stride)))
            if len(chosen) == count:
                return chosen
    raise ValueError(f"could not draw {count} pairs at least {min_distance_s} s apart in [{low_s}, {high_s}]")
