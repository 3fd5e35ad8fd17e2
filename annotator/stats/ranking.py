"""Bradley-Terry scores of a clip's sequences from pairwise wins (choix's maximum-likelihood
fit, lightly regularised so a sequence that never lost still gets a finite score)."""
import choix
import numpy as np


def bradley_terry(items: list, wins: list[tuple]) -> list[tuple[object, float]]:
    """`wins`: (winner, loser) pairs of `items`. Returns (item, score) best first; scores are
    log-strengths, centred on 0. Items in no comparison score 0."""
    if not wins:
        return [(item, 0.0) for item in items]
    index = {item: i for i, item in enumerate(items)}
    data = [(index[winner], index[loser]) for winner, loser in wins]
    scores = choix.opt_pairwise(len(items), data, alpha=0.01)
    scores = np.asarray(scores) - np.mean(scores)
    return sorted(zip(items, scores.tolist()), key=lambda pair: -pair[1])
