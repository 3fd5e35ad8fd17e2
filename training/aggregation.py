"""How an export turns judgments into (chosen, rejected) triplets: `ExportFilters.aggregate`.

  pairwise       each comparison's majority side (an even split gives none), if it has at
                 least `min_majority` of the comparison's votes
  bradley-terry  per clip, Bradley-Terry scores over all its votes; every pair of its
                 sequences whose scores differ by at least `bt_margin`
  noisy-bt       the same from crowd-kit's Noisy Bradley-Terry, fitted over every clip at once
                 so that each annotator's skill and left/right bias are estimated and their
                 votes weighed by them
  dawid-skene    per comparison, the answer Dawid-Skene finds most likely, each annotator
                 weighed by how their answers relate to everyone's; a triplet where it is a side

"No preference" and "both poor" are votes (they count toward `min_votes`, and Dawid-Skene
may find them most likely) but prefer neither side.

Segment votes (`ExportFilters.granularity` segment or both) make one triplet per marked
stretch of a comparison whose answers have a pairwise majority, with the stretch as its span
("same" is a vote for neither side); the filters apply per stretch. The other aggregations
rank whole sequences, so stretches are always taken by their majority.
"""
import itertools
from collections import Counter
from typing import NamedTuple

from annotator.stats.ranking import bradley_terry
from annotator.stats.skill import dawid_skene, noisy_bradley_terry
from corpus.models import Clip
from dser.differences import long_enough
from rendering.models import EmotionSequence

AGGREGATIONS = ("pairwise", "bradley-terry", "noisy-bt", "dawid-skene")
GRANULARITIES = ("clip", "segment", "both")


class Triplet(NamedTuple):
    clip: Clip
    chosen: EmotionSequence
    rejected: EmotionSequence
    votes: dict  # {"chosen", "rejected", "tie", "both_poor"} behind it
    spans: list | None = None  # [[start_s, end_s]] of a stretch's triplet; none: the whole clip


def aggregate(judgments: list, filters, counts: dict) -> list[Triplet]:
    """A Triplet per preference the whole-clip votes make; `counts` gains how many survived."""
    grouped = votes_by_comparison(judgments)
    if filters.aggregate == "bradley-terry":
        return ranked_triplets(grouped, filters, counts, lambda sequences, wins: dict(bradley_terry(sequences, wins)))
    if filters.aggregate == "noisy-bt":
        strengths, skills = noisy_bradley_terry([(j.annotator_id, j.left_id, j.right_id, j.preferred.pk)
                                                 for j in judgments if j.preferred])
        counts["annotators weighed by skill"] = len(skills)
        return ranked_triplets(grouped, filters, counts,
                               lambda sequences, _: {pk: strengths[pk] for pk in sequences if pk in strengths})
    if filters.aggregate == "dawid-skene":
        return dawid_skene_triplets(judgments, grouped, filters, counts)
    return pairwise_triplets(grouped, filters, counts)


def votes_by_comparison(judgments) -> dict[int, dict]:
    """comparison id -> {"sequences": (a, b), "votes": Counter of a, b, "tie", "both_poor", "clip"}."""
    grouped: dict[int, dict] = {}
    for judgment in judgments:
        entry = grouped.setdefault(judgment.comparison_id, {
            "clip": judgment.comparison.clip, "sequences": (judgment.left, judgment.right), "votes": Counter()})
        preferred = judgment.preferred
        entry["votes"][preferred.pk if preferred else judgment.choice] += 1
    return grouped


def segment_triplets(judgments: list, answers: dict[int, list[tuple[int, str]]], filters, counts: dict) -> list[Triplet]:
    """A Triplet per (comparison, stretch) whose answers have a large enough majority;
    `answers`: judgment id -> its (stretch index, choice) answers. A stretch briefer than
    MIN_MARK_S (kept by a comparison made before marks had a floor) is left out and counted."""
    grouped: dict[tuple[int, int], dict] = {}
    too_short = set()
    for judgment in judgments:
        comparison = judgment.comparison
        for index, choice in answers.get(judgment.pk, ()):
            segment = comparison.segments()[index - 1]
            if not long_enough(segment["start_s"], segment["end_s"]):
                too_short.add((comparison.pk, index))
                continue
            entry = grouped.setdefault((comparison.pk, index), {
                "clip": comparison.clip, "sequences": (judgment.left, judgment.right), "votes": Counter(),
                "spans": [[segment["start_s"], segment["end_s"]]]})
            side = {"left": judgment.left, "right": judgment.right}.get(choice)
            entry["votes"][side.pk if side else "tie"] += 1
    counts["stretches too brief to train on"] = len(too_short)
    return pairwise_triplets(grouped, filters, counts, "stretches")


def _enough(grouped: dict, filters, counts: dict, what: str = "comparisons") -> dict:
    enough = {key: entry for key, entry in grouped.items() if sum(entry["votes"].values()) >= filters.min_votes}
    counts[f"{what} with enough votes"] = len(enough)
    return enough


def pairwise_triplets(grouped: dict, filters, counts: dict, what: str = "comparisons") -> list[Triplet]:
    triplets = []
    for entry in _enough(grouped, filters, counts, what).values():
        a, b = entry["sequences"]
        votes, total = entry["votes"], sum(entry["votes"].values())
        if votes[a.pk] == votes[b.pk]:
            continue  # no preference, or an even split
        chosen, rejected = (a, b) if votes[a.pk] > votes[b.pk] else (b, a)
        if votes[chosen.pk] / total >= filters.min_majority:
            triplets.append(Triplet(entry["clip"], chosen, rejected, _vote_counts(votes, chosen, rejected),
                                    entry.get("spans")))
    counts[f"{what} with a large enough majority"] = len(triplets)
    return triplets


def ranked_triplets(grouped: dict, filters, counts: dict, scores_of) -> list[Triplet]:
    """Per clip with `min_votes` votes, every pair of its sequences whose scores differ by at
    least `bt_margin`; `scores_of(sequence ids, wins)` gives {sequence id: score}."""
    by_clip: dict[int, list[dict]] = {}
    for entry in grouped.values():
        by_clip.setdefault(entry["clip"].pk, []).append(entry)
    triplets = []
    for entries in by_clip.values():
        sequences = {s.pk: s for entry in entries for s in entry["sequences"]}
        wins = [(winner, loser) for entry in entries for winner, loser in _wins(entry)]
        if sum(sum(e["votes"].values()) for e in entries) < filters.min_votes or not wins:
            continue
        scores = scores_of(sorted(sequences), wins)
        for first, second in itertools.combinations(sorted(scores), 2):
            chosen, rejected = (first, second) if scores[first] >= scores[second] else (second, first)
            if scores[chosen] - scores[rejected] >= filters.bt_margin:
                direct = next((e["votes"] for e in entries if {s.pk for s in e["sequences"]} == {first, second}),
                              Counter())
                triplets.append(Triplet(entries[0]["clip"], sequences[chosen], sequences[rejected],
                                        _vote_counts(direct, sequences[chosen], sequences[rejected])))
    counts["confident pairs"] = len(triplets)
    return triplets


def dawid_skene_triplets(judgments: list, grouped: dict, filters, counts: dict) -> list[Triplet]:
    """On the answers as given ("left", "right", "tie", "both_poor"; a comparison's sides are
    frozen when it is made), so an annotator's habits (always "left") are what DS learns."""
    answers, skills = dawid_skene([(j.comparison_id, j.annotator_id, j.choice) for j in judgments])
    counts["annotators weighed by skill"] = len(skills)
    triplets = []
    for pk, entry in _enough(grouped, filters, counts).items():
        left, right = entry["sequences"]
        if answers.get(pk) in ("left", "right"):
            chosen, rejected = (left, right) if answers[pk] == "left" else (right, left)
            triplets.append(Triplet(entry["clip"], chosen, rejected, _vote_counts(entry["votes"], chosen, rejected)))
    counts["comparisons whose likeliest answer is a side"] = len(triplets)
    return triplets


def _wins(entry: dict) -> list[tuple[int, int]]:
    a, b = entry["sequences"]
    return [(a.pk, b.pk)] * entry["votes"][a.pk] + [(b.pk, a.pk)] * entry["votes"][b.pk]


def _vote_counts(votes: Counter, chosen: EmotionSequence, rejected: EmotionSequence) -> dict:
    return {"chosen": votes[chosen.pk], "rejected": votes[rejected.pk], "tie": votes["tie"],
            "both_poor": votes["both_poor"]}
