"""Votes weighed by who gave them: crowd-kit's aggregators, which estimate each annotator's
reliability from the votes themselves (no known answers needed).

  noisy_bradley_terry  item scores with, per annotator, a skill (how often their vote follows
                       the scores rather than chance) and a bias (toward the left side);
                       Bradley-Terry's log-strengths, so a score gap means what it does there
  dawid_skene          per task, the most likely true answer, each annotator weighed by a
                       confusion matrix between the answers (Dawid & Skene, 1979); and per
                       annotator, how likely their answers were the true ones (the dashboard's skill)
"""
from collections.abc import Hashable

import numpy as np

SCORE_LIMIT = 1e-9  # crowd-kit reports scores through a logistic; keep them off 0 and 1
RESTARTS = 5  # Noisy Bradley-Terry's likelihood has local optima: fit from several starts


def noisy_bradley_terry(votes: list[tuple[Hashable, Hashable, Hashable, Hashable]]) -> tuple[dict, dict]:
    """`votes`: (annotator, left, right, winner) with winner one of left and right.
    Returns ({item: log-strength}, {annotator: skill in 0-1}) of the best of RESTARTS fits
    (seeds 0, 1, ...: the same votes give the same answer)."""
    if not votes:
        return {}, {}
    import pandas as pd
    from crowdkit.aggregation import NoisyBradleyTerry

    frame = pd.DataFrame(votes, columns=["worker", "left", "right", "label"])
    with np.errstate(over="ignore", invalid="ignore"):  # its gradient overflows on the way, harmlessly
        fits = [NoisyBradleyTerry(n_iter=200, random_state=seed).fit(frame) for seed in range(RESTARTS)]
    best = max(fits, key=lambda fit: _log_likelihood(fit, frame))
    return _logit(best.scores_).to_dict(), best.skills_.astype(float).to_dict()


def _logit(probability):
    clipped = probability.astype(float).clip(SCORE_LIMIT, 1 - SCORE_LIMIT)
    return np.log(clipped / (1 - clipped))


def _log_likelihood(fit, frame) -> float:
    """The model's log-likelihood of the votes, from what crowd-kit reports: a vote follows
    the scores with the annotator's skill, else their left/right bias."""
    strength = _logit(fit.scores_)
    follows_left = np.where(frame["label"] == frame["left"], 1.0, -1.0)
    gap = strength.loc[frame["left"]].to_numpy() - strength.loc[frame["right"]].to_numpy()
    skill = fit.skills_.loc[frame["worker"]].to_numpy(dtype=float)
    bias = fit.biases_.loc[frame["worker"]].to_numpy(dtype=float)
    by_bias = np.where(follows_left > 0, bias, 1 - bias)
    probability = skill / (1 + np.exp(-follows_left * gap)) + (1 - skill) * by_bias
    return float(np.log(np.clip(probability, 1e-300, None)).sum())


def dawid_skene(labels: list[tuple[Hashable, Hashable, Hashable]]) -> tuple[dict, dict]:
    """`labels`: (task, annotator, answer), answers from one set shared by every task (for
    comparisons: the side, "left" or "right", or "tie", "both_poor"; an annotator's confusion
    between them is what is learnt). Returns ({task: likeliest answer}, {annotator: skill}),
    skill being the mean probability, under the fit, that the annotator's answer was the true one."""
    if not labels:
        return {}, {}
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    frame = pd.DataFrame(labels, columns=["task", "worker", "label"])
    model = DawidSkene(n_iter=100).fit(frame)
    right = [model.probas_.at[task, label] for task, label in zip(frame["task"], frame["label"])]
    skills = pd.Series(right, index=frame["worker"]).groupby(level=0).mean()
    return model.labels_.to_dict(), skills.astype(float).to_dict()
