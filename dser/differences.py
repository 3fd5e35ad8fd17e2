"""How far apart two emotion sequences of a clip are, and where they differ most.

The distance at an instant is the total variation between the two mixtures (0-1: the share
of emotion mass that would have to move). A pair's `difference` is its mean over the clip and
its `peak_difference` the mean over its strongest marked stretch: a person can tell two
videos apart when they differ clearly somewhere, so the schedule's floor (`min_difference`)
is on the peak. What one more vote on a pair is worth (`vote_worth`, the serving order) is
that peak times how uncertain the vote's outcome still is. The marks point annotators at the stretches that decide a comparison (the
paper's weak point is that comparing two sequences is hard). Plain numpy.
"""
from dataclasses import dataclass

import numpy as np

from dser.timeline import Timeline

RATE_HZ = 10.0
MARK_DIFFERENCE = 0.25  # a stretch is marked where the distance exceeds this
# A marked stretch lasts at least one sample of the distance's clock. Only a stretch cut short
# by the clip's end can be briefer, and one of a few milliseconds can hold no frame of a
# model's 50 Hz clock: no one can judge it, and DPO could not train on its answers.
MIN_MARK_S = 1 / RATE_HZ

# Worths are kept in steps of this, so that comparisons worth about the same are equals and
# each annotator takes them in an order of their own: fifty annotators do not all queue for
# the one comparison worth a hair more than the next.
WORTH_STEP = 0.05


def long_enough(start_s: float, end_s: float) -> bool:
    """Whether a stretch lasts MIN_MARK_S (within float rounding of the clock's samples)."""
    return end_s - start_s >= MIN_MARK_S - 1e-9


def distance_over_time(first: Timeline, second: Timeline, duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(times, total-variation distance at each), sampled at RATE_HZ over the clip."""
    times = np.arange(0.0, duration_s, 1 / RATE_HZ)
    return times, 0.5 * np.abs(first.sample(times) - second.sample(times)).sum(axis=1)


def _stretches(distance: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """[start, end) sample ranges where `distance` exceeds `threshold`."""
    above = np.concatenate([[False], distance > threshold, [False]])
    starts, ends = np.flatnonzero(~above[:-1] & above[1:]), np.flatnonzero(above[:-1] & ~above[1:])
    return list(zip(starts.tolist(), ends.tolist()))


def difference_marks(first: Timeline, second: Timeline, duration_s: float, top: int = 3,
                     min_difference: float = MARK_DIFFERENCE) -> list[dict]:
    """Up to `top` stretches [start, end) where the two mixtures differ by more than
    `min_difference`, largest difference first."""
    times, distance = distance_over_time(first, second, duration_s)
    if times.size == 0:
        return []
    stretches = [{"start": float(times[s]), "end": float(min(duration_s, times[e - 1] + 1 / RATE_HZ)),
                  "difference": float(distance[s:e].max())} for s, e in _stretches(distance, min_difference)]
    stretches = [mark for mark in stretches if long_enough(mark["start"], mark["end"])]
    return sorted(stretches, key=lambda mark: -mark["difference"])[:top]


def segment_marks(first: Timeline, second: Timeline, duration_s: float) -> list[dict]:
    """The marks a comparison keeps (its segments: what segment votes are about), in time order."""
    return sorted(difference_marks(first, second, duration_s), key=lambda mark: mark["start"])


@dataclass(frozen=True)
class PairDifference:
    mean: float  # over the clip
    peak: float  # over the strongest marked stretch (the largest distance if none is marked)


def pair_difference(first: Timeline, second: Timeline, duration_s: float) -> PairDifference:
    times, distance = distance_over_time(first, second, duration_s)
    if times.size == 0:
        return PairDifference(0.0, 0.0)
    stretches = _stretches(distance, MARK_DIFFERENCE)
    if not stretches:
        return PairDifference(float(distance.mean()), float(distance.max()))
    start, end = max(stretches, key=lambda s: distance[s[0]:s[1]].max())
    return PairDifference(float(distance.mean()), float(distance[start:end].mean()))


def vote_worth(peak_difference: float, win_probability: float = 0.5) -> float:
    """What one more vote on a comparison is worth, 0-1 in WORTH_STEPs: how much its two
    sequences differ where they differ most, times how uncertain its outcome still is
    (4 p (1 - p): 1 for a coin toss, 0 for a foregone conclusion). With no votes yet p is 1/2
    and the worth is the peak difference."""
    worth = peak_difference * 4 * win_probability * (1 - win_probability)
    return round(round(worth / WORTH_STEP) * WORTH_STEP, 2)
