"""Agreement between annotators on the comparisons several of them judged.

Input: one dict per comparison, {annotator: answer}, answers being nominal labels
("left", "right", "tie", "both_poor"). Comparisons with fewer than two answers carry no
agreement information and are left out.
"""
import itertools

import krippendorff
import numpy as np


def percent_agreement(answers: list[dict[str, str]]) -> float | None:
    """Share of annotator pairs, over all comparisons with 2+ answers, that gave the same answer."""
    agreeing = total = 0
    for by_annotator in answers:
        for a, b in itertools.combinations(by_annotator.values(), 2):
            agreeing += a == b
            total += 1
    return agreeing / total if total else None


def agreement_by_annotator(answers: list[dict[str, str]]) -> dict[str, float]:
    """Per annotator, the share of pairs with another annotator's answer on the same comparison
    that agree: low for one annotator alone (careless, or biased to a side) while the team agrees."""
    agreeing: dict[str, int] = {}
    total: dict[str, int] = {}
    for by_annotator in answers:
        for a, b in itertools.permutations(by_annotator, 2):
            agreeing[a] = agreeing.get(a, 0) + (by_annotator[a] == by_annotator[b])
            total[a] = total.get(a, 0) + 1
    return {name: agreeing[name] / total[name] for name in total}


def krippendorff_alpha(answers: list[dict[str, str]]) -> float | None:
    """Krippendorff's alpha (nominal) over the comparisons with 2+ answers; None when it is
    undefined (no such comparison, or every answer the same, so no disagreement is expected)."""
    units = [a for a in answers if len(a) >= 2]
    if not units:
        return None
    annotators = sorted({name for unit in units for name in unit})
    labels = sorted({label for unit in units for label in unit.values()})
    if len(labels) < 2:
        return None
    data = np.full((len(annotators), len(units)), np.nan)  # (annotators, units)
    for column, unit in enumerate(units):
        for name, label in unit.items():
            data[annotators.index(name), column] = labels.index(label)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
