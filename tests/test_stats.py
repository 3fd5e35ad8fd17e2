"""The annotation statistics (annotator/stats): agreement, Krippendorff's alpha,
Bradley-Terry, difference marks, on hand-computed cases. Pure: no database."""
import choix
import numpy as np
import pytest

from annotator.stats.agreement import agreement_by_annotator, krippendorff_alpha, percent_agreement
from annotator.stats.ranking import ALPHA, bradley_terry, fit_bradley_terry
from dser.differences import difference_marks
from dser.emotions import one_hot
from dser.timeline import Timeline

pytestmark = pytest.mark.pure


def test_agreement_matches_a_hand_computed_example():
    # Three comparisons, two annotators: (L, L), (L, R), (R, R). Agreeing pairs 2 of 3.
    # Krippendorff (nominal): o_LR = o_RL = 1, n_L = n_R = 3, n = 6; D_o = 2/6,
    # D_e = 2 * 3 * 3 / (6 * 5) = 0.6; alpha = 1 - (1/3) / 0.6 = 4/9.
    answers = [{"a": "left", "b": "left"}, {"a": "left", "b": "right"}, {"a": "right", "b": "right"}, {"a": "tie"}]
    assert percent_agreement(answers) == pytest.approx(2 / 3)
    assert krippendorff_alpha(answers) == pytest.approx(4 / 9)
    assert krippendorff_alpha([{"a": "left", "b": "left"}]) is None  # no disagreement possible


def test_agreement_by_annotator_singles_out_the_one_who_always_answers_left():
    # a and b agree on all three; c answers "left" throughout and matches them once.
    answers = [{"a": "left", "b": "left", "c": "left"}, {"a": "right", "b": "right", "c": "left"},
               {"a": "tie", "b": "tie", "c": "left"}, {"a": "right"}]
    assert agreement_by_annotator(answers) == pytest.approx({"a": 4 / 6, "b": 4 / 6, "c": 1 / 3})


def test_bradley_terry_orders_a_known_case():
    wins = [("A", "B")] * 3 + [("B", "C")] * 3 + [("A", "C")] * 3 + [("B", "A")]
    ranking = bradley_terry(["C", "B", "A", "D"], wins)
    assert [item for item, _ in ranking if item != "D"] == ["A", "B", "C"]
    assert dict(ranking)["D"] == pytest.approx(0.0, abs=1e-9)  # in no comparison: no evidence either way


def test_bradley_terry_intervals_are_the_inverse_hessian_and_narrow_with_votes():
    from choix.opt import PairwiseFcts

    wins = [("A", "B")] * 3 + [("B", "C")] * 2 + [("C", "A")] + [("B", "A")]
    fit = fit_bradley_terry(["A", "B", "C"], wins)
    index = {"A": 0, "B": 1, "C": 2}
    data = [(index[w], index[l]) for w, l in wins]
    raw = np.asarray(choix.opt_pairwise(3, data, alpha=ALPHA))
    centring = np.eye(3) - 1 / 3  # choix's own Hessian of the same objective, independently
    expected = centring @ np.linalg.inv(PairwiseFcts(data, ALPHA).hessian(raw)) @ centring
    np.testing.assert_allclose(fit.covariance, expected, rtol=1e-6, atol=1e-9)
    low, high = fit.interval(0)
    assert low < fit.scores[0] < high
    tenfold = fit_bradley_terry(["A", "B", "C"], wins * 10)
    width = np.diff(fit.interval(0))[0] / np.diff(tenfold.interval(0))[0]
    assert width == pytest.approx(np.sqrt(10), rel=0.15)  # ten times the votes, a third of the width
    # The same score gap is less certain with fewer votes: its win probability is nearer 1/2.
    assert 0.5 < fit.win_probability(0, 2) < tenfold.win_probability(0, 2)


def test_marks_point_at_where_two_sequences_differ():
    joy_then_neutral = Timeline([0.0, 0.9, 1.1, 3.0], [one_hot("joy")] * 2 + [one_hot("neutral")] * 2)
    always_joy = Timeline([0.0], [one_hot("joy")])
    (mark,) = difference_marks(joy_then_neutral, always_joy, 3.0)
    assert mark["start"] == pytest.approx(1.0, abs=0.1) and mark["end"] == pytest.approx(3.0)
    assert difference_marks(always_joy, always_joy, 3.0) == []
