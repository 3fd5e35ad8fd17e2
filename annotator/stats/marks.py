"""Where two emotion sequences of a clip differ most: the stretches an annotator should
watch closely. The paper's weak point is that comparing two sequences is hard; these marks
on the seek bar point at the moments that decide it."""
import numpy as np

from dser.timeline import Timeline

RATE_HZ = 10.0


def difference_marks(first: Timeline, second: Timeline, duration_s: float, top: int = 3,
                     min_difference: float = 0.25) -> list[dict]:
    """Up to `top` stretches [start, end) where the two mixtures differ by more than
    `min_difference` (total variation distance, 0-1), largest difference first."""
    times = np.arange(0.0, duration_s, 1 / RATE_HZ)
    if times.size == 0:
        return []
    distance = 0.5 * np.abs(first.sample(times) - second.sample(times)).sum(axis=1)  # (T,)
    above = np.concatenate([[False], distance > min_difference, [False]])
    starts, ends = np.flatnonzero(~above[:-1] & above[1:]), np.flatnonzero(above[:-1] & ~above[1:])
    stretches = [{"start": float(times[s]), "end": float(min(duration_s, times[e - 1] + 1 / RATE_HZ)),
                  "difference": float(distance[s:e].max())} for s, e in zip(starts, ends)]
    return sorted(stretches, key=lambda mark: -mark["difference"])[:top]
