"""Bradley-Terry scores of a clip's sequences from pairwise wins (choix's maximum-likelihood
fit, lightly regularised so a sequence that never lost still gets a finite score), with their
uncertainty: the covariance is the inverse Hessian of the penalised negative log-likelihood
at the fit (the Laplace approximation), the 95% intervals are score +- 1.96 standard errors,
as Chatbot Arena's leaderboard reports them."""
from dataclasses import dataclass

import choix
import numpy as np

ALPHA = 0.01  # choix's penalty: alpha * sum(score^2)
Z_95 = 1.959964


@dataclass(frozen=True)
class Fit:
    items: list
    scores: np.ndarray  # (n,) log-strengths, centred on 0
    covariance: np.ndarray  # (n, n) of the centred scores

    def interval(self, i: int) -> tuple[float, float]:
        half = Z_95 * float(np.sqrt(self.covariance[i, i]))
        return float(self.scores[i]) - half, float(self.scores[i]) + half

    def win_probability(self, i: int, j: int) -> float:
        """P(item i beats item j), the uncertainty of the scores folded in (the probit
        approximation of a logistic under a Gaussian): uncertain scores pull it toward 1/2."""
        variance = self.covariance[i, i] + self.covariance[j, j] - 2 * self.covariance[i, j]
        margin = (self.scores[i] - self.scores[j]) / np.sqrt(1 + np.pi * variance / 8)
        return float(1 / (1 + np.exp(-margin)))


def wins_of(answers) -> list[tuple]:
    """(winner, loser) pairs from (choice, left, right) answers; "tie" and "both_poor" prefer
    neither side and give none."""
    return [(left, right) if choice == "left" else (right, left)
            for choice, left, right in answers if choice in ("left", "right")]


def fit_bradley_terry(items: list, wins: list[tuple]) -> Fit:
    """`wins`: (winner, loser) pairs of `items`. Items in no comparison score 0, with the
    prior's wide interval."""
    n = len(items)
    if n == 0:
        return Fit([], np.zeros(0), np.zeros((0, 0)))
    index = {item: i for i, item in enumerate(items)}
    data = [(index[winner], index[loser]) for winner, loser in wins]
    scores = np.asarray(choix.opt_pairwise(n, data, alpha=ALPHA)) if data else np.zeros(n)
    hessian = 2 * ALPHA * np.eye(n)
    for winner, loser in data:
        p = 1 / (1 + np.exp(-(scores[winner] - scores[loser])))
        step = np.zeros(n)
        step[winner], step[loser] = 1.0, -1.0
        hessian += p * (1 - p) * np.outer(step, step)
    centring = np.eye(n) - 1 / n
    return Fit(list(items), scores - scores.mean(), centring @ np.linalg.inv(hessian) @ centring)


def bradley_terry(items: list, wins: list[tuple]) -> list[tuple[object, float]]:
    """(item, score), best first; scores are log-strengths, centred on 0."""
    fit = fit_bradley_terry(items, wins)
    return sorted(zip(items, fit.scores.tolist()), key=lambda pair: -pair[1])
