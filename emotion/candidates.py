"""A sequence model's candidate timelines for a clip, for on-policy rounds: the model's own
prediction, then draws from its per-frame Dirichlet that a person can tell apart.

A draw takes one mixture every KNOT_S seconds from the Dirichlet whose concentration is the
model's alpha averaged over the frames around that instant, divided by the temperature, and
joins them linearly (a Timeline). Why knots, not a draw per frame: the model's frames are
independent given the audio, so per-frame draws flicker at the frame rate, which no face does
and every annotator would reject; a knot a second moves at the pace emotion changes in speech.
A cross-entropy model's alpha has no meaningful scale (its loss reads only the mean), so its
draws take the mean with CE_CONCENTRATION instead. A temperature above 1 spreads the draws,
below 1 keeps them near the prediction.

Each draw is seeded by (clip seed, draw index, attempt): a draw too close to an earlier
candidate to be told apart is drawn again, so the candidates are distinct and the same on
every machine. Plain numpy and torch.
"""
import numpy as np
import torch

from dser.audio import SAMPLE_RATE
from dser.differences import pair_difference
from dser.timeline import Timeline, frame_times
from emotion.dirichlet import dirichlet_mean
from emotion.model import DSERModel

KNOT_S = 1.0
# Total concentration of a cross-entropy model's draws: a dominant 0.7 varies by ±0.19. At 10,
# its candidates were closer than a Dirichlet model's at its own alpha (23% of pairs under 0.3
# against 13%: benchmarks/candidate_spread.py, docs/experiments.md), too close to judge well.
CE_CONCENTRATION = 5.0
# Two candidates whose strongest stretch differs less than this (total variation) are the same
# video to an annotator (dser.differences; pairs below 0.3 are rare among sliding windows).
MIN_PEAK_DIFFERENCE = 0.1
ATTEMPTS = 20  # draws per candidate before the policy is declared too sure of itself


class CandidatesError(ValueError):
    """The policy cannot give distinct candidates (its draws stay by its prediction)."""


def knot_times(duration_s: float) -> np.ndarray:
    """Every KNOT_S seconds from 0, and the clip's end."""
    return np.unique(np.append(np.arange(0.0, duration_s, KNOT_S), duration_s))


def knot_alpha(alpha: np.ndarray, frame_rate: float, times: np.ndarray) -> np.ndarray:
    """(K, 6): the model's (T, 6) per-frame alpha averaged over the frames within half a knot
    of each time (the nearest frame where none is)."""
    centres = frame_times(len(alpha), frame_rate, centred=True)
    out = []
    for time in times:
        near = np.abs(centres - time) <= KNOT_S / 2
        out.append(alpha[near].mean(axis=0) if near.any() else alpha[np.abs(centres - time).argmin()])
    return np.stack(out)


def draw_concentration(alpha: np.ndarray, likelihood: str, temperature: float) -> np.ndarray:
    """The Dirichlet a draw comes from: the model's alpha (a cross-entropy model's mean at
    CE_CONCENTRATION), divided by the temperature."""
    if not temperature > 0:
        raise CandidatesError(f"the temperature must be positive, not {temperature:g}")
    if likelihood == "ce":
        alpha = alpha / alpha.sum(-1, keepdims=True) * CE_CONCENTRATION
    return np.maximum(alpha / temperature, 1e-3)


def draw_timeline(concentration: np.ndarray, times: np.ndarray, seed: int, draw: int, attempt: int) -> Timeline:
    rng = np.random.default_rng([seed, draw, attempt])
    values = np.stack([rng.dirichlet(row) for row in concentration])
    return Timeline(times, values / values.sum(-1, keepdims=True))


def closest(timeline: Timeline, others: list[Timeline], duration_s: float) -> float:
    """The smallest peak difference between `timeline` and any of `others`."""
    return min(pair_difference(timeline, other, duration_s).peak for other in others)


def prediction_timeline(alpha: np.ndarray, frame_rate: float) -> Timeline:
    return Timeline(frame_times(len(alpha), frame_rate, centred=True), dirichlet_mean(torch.from_numpy(alpha)).numpy())


def draw_candidates(alpha: np.ndarray, frame_rate: float, duration_s: float, count: int, seed: int,
                    temperature: float, likelihood: str) -> list[Timeline]:
    """`count` timelines from a model's (T, 6) alpha: its prediction, then draws; or
    CandidatesError when a draw stays within MIN_PEAK_DIFFERENCE of an earlier one after
    ATTEMPTS tries."""
    if not np.isfinite(alpha).all():
        raise FloatingPointError("the model produced NaN or infinite emotion values")
    times = knot_times(duration_s)
    concentration = draw_concentration(knot_alpha(alpha, frame_rate, times), likelihood, temperature)
    candidates = [prediction_timeline(alpha, frame_rate)]
    for draw in range(1, count):
        nearest = 0.0
        for attempt in range(ATTEMPTS):
            timeline = draw_timeline(concentration, times, seed, draw, attempt)
            nearest = closest(timeline, candidates, duration_s)
            if nearest >= MIN_PEAK_DIFFERENCE:
                candidates.append(timeline)
                break
        else:
            raise CandidatesError(
                f"draw {draw} stayed within {nearest:.3f} of an earlier candidate in {ATTEMPTS} tries (a person "
                f"needs {MIN_PEAK_DIFFERENCE:g}): the policy is too sure at temperature {temperature:g}; raise it")
    return candidates


@torch.no_grad()
def candidate_timelines(model: DSERModel, samples: np.ndarray, count: int, seed: int, temperature: float,
                        likelihood: str) -> list[Timeline]:
    """A sequence model's `count` candidates for one clip's audio (see draw_candidates)."""
    if model.head_kind != "sequence":
        raise ValueError("candidates need a sequence (stage-2 or stage-3) model")
    alpha = model.clip_alpha(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))).double().numpy()
    return draw_candidates(alpha, model.frame_rate, len(samples) / SAMPLE_RATE, count, seed, temperature, likelihood)
