"""The admins' dashboard: what annotators did, how well they agree, and how the sequences of
each clip rank. A fixed number of queries per page whatever the number of judgments: counts
are aggregated in the database, the rest reads only the columns it needs as tuples (no model
instance per judgment, no lookup per row).

"Agreement" here is pairwise: how often two annotators of one comparison answer alike
(annotator/stats/agreement.py). The export's filter on one comparison's votes is its
majority share, named so (training.services.ExportFilters.min_majority).
"""
import hashlib
from collections import Counter, defaultdict
from datetime import timedelta
from statistics import median

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from annotator.models import Judgment, Qualification, SegmentAnswer, too_fast
from annotator.stats.agreement import agreement_by_annotator, krippendorff_alpha, percent_agreement
from annotator.stats.ranking import fit_bradley_terry, wins_of
from annotator.stats.skill import dawid_skene
from corpus.models import Clip
from rendering.models import Comparison

SKILL_CACHE_S = 300


def dashboard_figures(days: int = 14) -> dict:
    """Everything the dashboard shows, from the judgments in the database."""
    answers = list(Judgment.objects.filter(comparison__is_control=False).values_list(
        "comparison_id", "comparison__clip_id", "annotator__username", "choice", "left_id", "right_id"))
    by_comparison: dict[int, dict[str, str]] = defaultdict(dict)
    for comparison, _, name, choice, _, _ in answers:
        by_comparison[comparison][name] = choice
    overlapping = [votes for votes in by_comparison.values() if len(votes) >= 2]
    skills = estimated_skills([(comparison, name, choice) for comparison, _, name, choice, _, _ in answers])
    return {"per_day": judgments_per_day(days),
            "annotators": annotator_rows(agreement_by_annotator(overlapping), skills),
            "judgments": Judgment.objects.count(), "qualification": settings.QUALIFICATION,
            "overlapping": len(overlapping), "percent_agreement": percent_agreement(overlapping),
            "alpha": krippendorff_alpha(overlapping), "rankings": clip_rankings(answers),
            "segments": segment_figures()}


def segment_figures(latest: int = 20) -> dict:
    """Agreement over the answers about marked stretches (each stretch a unit, as each
    comparison is above), and the `latest` comparisons answered so, each with its stretches
    placed on its timeline, their votes, majority and agreement."""
    by_stretch: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for comparison, index, name, choice in SegmentAnswer.objects.filter(judgment__comparison__is_control=False) \
            .values_list("judgment__comparison_id", "index", "judgment__annotator__username", "choice"):
        by_stretch[(comparison, index)][name] = choice
    overlapping = [votes for votes in by_stretch.values() if len(votes) >= 2]
    shown = sorted({comparison for comparison, _ in by_stretch}, reverse=True)[:latest]
    comparisons = Comparison.objects.select_related("clip").in_bulk(shown)
    timelines = []
    for pk in shown:
        comparison = comparisons[pk]
        duration = comparison.duration_s or comparison.clip.duration_s or 1.0
        stretches = []
        for segment in comparison.segments():
            votes = by_stretch.get((pk, segment["index"]), {})
            counts = Counter(votes.values()).most_common()
            stretches.append({**segment, "left_pct": 100 * segment["start_s"] / duration,
                              "width_pct": max(1.0, 100 * (segment["end_s"] - segment["start_s"]) / duration),
                              "votes": counts, "agreement": percent_agreement([votes]) if len(votes) >= 2 else None,
                              "majority": counts[0][0] if counts and (len(counts) == 1 or counts[0][1] > counts[1][1])
                              else ""})
        timelines.append({"comparison": comparison, "stretches": stretches})
    return {"overlapping": len(overlapping), "percent_agreement": percent_agreement(overlapping),
            "alpha": krippendorff_alpha(overlapping), "timelines": timelines}


def judgments_per_day(days: int) -> list[tuple]:
    """(date, judgments) for each of the last `days` days, today last."""
    since = (timezone.localtime() - timedelta(days=days - 1)).date()
    counts = dict(Judgment.objects.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
                  .filter(day__gte=since).values_list("day").annotate(n=Count("pk")).order_by())
    return [(day, counts.get(day, 0)) for day in (since + timedelta(days=i) for i in range(days))]


def estimated_skills(labels: list[tuple]) -> dict[str, float]:
    """Per annotator, how likely their answers were the true ones (Dawid-Skene over every
    non-control answer: annotator.stats.skill). A fit takes seconds on a large project, so it
    is kept, for the same answers, for SKILL_CACHE_S (per process unless CACHES says otherwise)."""
    key = "dashboard-skills:" + hashlib.sha256(repr(labels).encode()).hexdigest()
    skills = cache.get(key)
    if skills is None:
        skills = dawid_skene(labels)[1]
        cache.set(key, skills, SKILL_CACHE_S)
    return skills


def annotator_rows(agreement: dict[str, float], skills: dict[str, float]) -> list[dict]:
    """Per annotator: judgments, median time, answers faster than the video, agreement,
    estimated skill, controls right, and where they stand (qualification)."""
    rows = (Judgment.objects.values("annotator__username").order_by("annotator__username").annotate(
        count=Count("pk"), too_fast=Count("pk", filter=too_fast()),
        controls=Count("pk", filter=Q(comparison__is_control=True)),
        controls_right=Count("pk", filter=Q(comparison__is_control=True, choice=F("comparison__control_answer")))))
    times = defaultdict(list)
    for name, response_ms in Judgment.objects.values_list("annotator__username", "response_ms"):
        times[name].append(response_ms)
    standings = {standing.annotator.username: standing
                 for standing in Qualification.objects.select_related("annotator")}
    annotators = []
    for row in rows:
        name = row["annotator__username"]
        accuracy = row["controls_right"] / row["controls"] if row["controls"] else None
        annotators.append({"name": name, "count": row["count"], "median_s": median(times[name]) / 1000,
                           "too_fast": row["too_fast"], "controls": row["controls"], "control_accuracy": accuracy,
                           "agreement": agreement.get(name), "skill": skills.get(name),
                           "flagged": accuracy is not None and accuracy < settings.QUALIFICATION.pass_share,
                           "standing": standings.get(name)})
    return annotators


def control_accuracy_by_annotator() -> dict[int, float]:
    """Annotator id -> share of the controls they answered with the known better side."""
    rows = (Judgment.objects.filter(comparison__is_control=True).values("annotator")
            .annotate(total=Count("pk"), right=Count("pk", filter=Q(choice=F("comparison__control_answer")))))
    return {row["annotator"]: row["right"] / row["total"] for row in rows}


def clip_rankings(answers: list[tuple]) -> list[dict]:
    """Per clip, its sequences ranked by Bradley-Terry from the left/right votes (ties and
    "both poor" carry no preference), with each score's 95% interval and the votes behind it. `answers`: (comparison,
    clip, annotator, choice, left, right) of the non-control judgments."""
    by_clip: dict[int, list[tuple]] = defaultdict(list)
    for _, clip, _, choice, left, right in answers:
        by_clip[clip].append((choice, left, right))
    clips = Clip.objects.in_bulk(list(by_clip))
    rankings = []
    for clip_id, votes in sorted(by_clip.items()):
        wins = wins_of(votes)
        sequences = sorted({pk for _, left, right in votes for pk in (left, right)})
        won = {pk: sum(w == pk for w, _ in wins) for pk in sequences}
        lost = {pk: sum(loser == pk for _, loser in wins) for pk in sequences}
        fit = fit_bradley_terry(sequences, wins)
        rows = [{"sequence": pk, "score": fit.scores[i], "interval": fit.interval(i), "won": won[pk], "lost": lost[pk]}
                for i, pk in enumerate(sequences)]
        rankings.append({"clip": clips[clip_id], "votes": len(votes),
                         "ranking": sorted(rows, key=lambda row: -row["score"])})
    return rankings
