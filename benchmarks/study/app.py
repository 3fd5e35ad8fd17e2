"""The study's stage 3 through the product, as its users work: an admin imports the clips and
schedules a render batch (Celery workers make the sequences, videos and comparisons),
annotators judge through the API, an ML engineer exports triplets with the agreement and
control filters and launches a DPO run on a `training` worker. Import after django.setup().
"""
import itertools
import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotator.dashboard import dashboard_figures
from annotator.models import ApiToken, Judgment, Lease, SegmentAnswer
from benchmarks.study.annotators import SimulatedAnnotator
from corpus.services import import_clips
from corpus.sources.clips import meld_sources
from corpus.sources.demo import DemoCorpus
from corpus.sources.meld import split_from_csv_name
from dser import media
from dser.jobs import UNFINISHED, Status
from dser.roles import ANNOTATORS, assign_role
from dser.timeline import Timeline
from emotion.dpo_config import DPOConfig
from emotion.metrics import timeline_mae
from rendering.batches import batch_counts
from rendering.models import Comparison, RenderBatch
from rendering.options import ScheduleOptions
from rendering.reconcile import reconcile
from rendering.scheduling import schedule_batch
from training.models import PreferenceExport, TrainingRun
from training.services import ExportFilters, launch_run, make_export

DATASET = "study"
# An export keeps a comparison that at least two annotators judged and two thirds agree on,
# without the annotators who failed their controls.
# Simulated annotators answer as soon as they are served (they judge from the truth, not by
# watching), so the server-clock "too fast" filter, meant for people, is off here.
EXPORT_FILTERS = ExportFilters(dataset=DATASET, min_votes=2, min_majority=0.6, exclude_failed_controls=True,
                               exclude_too_fast=False)


def import_study_clips(corpus: DemoCorpus) -> int:
    sources, _ = meld_sources(corpus.meld_csv, corpus.meld_clips, split_from_csv_name(corpus.meld_csv))
    summary = import_clips(DATASET, sources, show_progress=False)
    if summary.failed:
        raise RuntimeError(f"study clips failed to import: {dict(summary.failed)}")
    return summary.imported


def render_batch(options: ScheduleOptions, progress) -> RenderBatch:
    """A batch of the study's clips (a stage-1 model's windows, or a policy's candidates),
    scheduled once per model and seed (an interrupted study waits for the one it has), done."""
    options = replace(options, dataset=DATASET)
    batch = RenderBatch.objects.filter(dataset=DATASET, checkpoint=options.policy or options.checkpoint,
                                       seed=options.seed).first()
    if batch is None:
        batch = schedule_batch(options)
    else:
        reconcile(0)  # an interrupted study: re-send what the stopped worker had taken
    for polls in itertools.count(1):
        if RenderBatch.objects.get(pk=batch.pk).state != RenderBatch.State.RUNNING:
            break
        counts = batch_counts(batch)
        progress(f"render batch {batch.pk}: {counts['progress']:.0%} "
                 f"({counts['comparisons'].get(Status.DONE, 0)} comparisons done)")
        time.sleep(10)
        if polls % 6 == 0:  # every minute, as beat does in a deployment: a lost worker process's work goes on
            reconcile(settings.JOB_STALE_S)
    counts = batch_counts(batch)
    if counts["failures"]:
        raise RuntimeError(f"render batch {batch.pk} had failures: {counts['failures']}")
    return batch


def comparison_errors(truth: dict) -> dict[int, tuple[float, float]]:
    """Comparison id -> MAE of its left and right sequence to the clip's true timeline."""
    return {comparison.pk: side_errors(comparison, truth) for comparison in study_comparisons()}


def stretch_errors(truth: dict) -> dict[int, dict[int, tuple[float, float]]]:
    """Comparison id -> {stretch index: the same over that marked stretch}."""
    return {comparison.pk: {segment["index"]: side_errors(comparison, truth, (segment["start_s"], segment["end_s"]))
                            for segment in comparison.segments()} for comparison in study_comparisons()}


def study_comparisons():
    return Comparison.objects.filter(clip__dataset=DATASET).select_related("clip", "left", "right")


def side_errors(comparison: Comparison, truth: dict, span: tuple[float, float] | None = None) -> tuple[float, float]:
    entry = truth[comparison.clip.key.split("/", 1)[1]]
    true, duration = Timeline(entry["times"], entry["values"]), comparison.clip.duration_s
    left, right = (timeline_mae(side.get_timeline(), true, duration, span=span)
                   for side in (comparison.left, comparison.right))
    return left, right


@transaction.atomic
def reset_annotation() -> None:
    """Clear the study's judgments and leases before a round: each round is a fresh team.
    (Judgments are append-only in the product: what they hold is deleted first.)"""
    SegmentAnswer.objects.filter(judgment__comparison__clip__dataset=DATASET).delete()
    Judgment.objects.filter(comparison__clip__dataset=DATASET).delete()
    Lease.objects.filter(comparison__clip__dataset=DATASET).delete()


def make_team(round_name: str, honest: int, error_rate: float, seed: int) -> list[SimulatedAnnotator]:
    """`honest` annotators with the error rate, and one who always answers "left"; all of them
    answer the marked stretches too (segment votes)."""
    team = []
    for name, bias in [(f"{round_name}-{i + 1}", False) for i in range(honest)] + [(f"{round_name}-left", True)]:
        user, _ = User.objects.get_or_create(username=name)
        assign_role(user, ANNOTATORS)
        team.append(SimulatedAnnotator(name, ApiToken.issue(user), error_rate, always_left=bias, segments=True,
                                       seed=seed))
    return team


def round_figures(team: list[SimulatedAnnotator]) -> dict:
    """What the admins' dashboard shows of this round: agreement and control accuracy."""
    figures = dashboard_figures()
    names = {a.name for a in team}
    created = sorted(i for a in team for i in a.created)
    stored = sorted(Judgment.objects.filter(comparison__clip__dataset=DATASET).values_list("pk", flat=True))
    return {"judgments": len(stored), "through_api": created == stored,
            "refused": sorted(s for a in team for s in a.refused),
            "percent_agreement": figures["percent_agreement"], "alpha": figures["alpha"],
            "annotators": [row for row in figures["annotators"] if row["name"] in names]}


def export_round(directory: Path, batch: int | None = None) -> dict:
    export = make_export(replace(EXPORT_FILTERS, batch=batch), directory)
    return {"export": export.pk, "triplets": export.triplets, "counts": export.counts}


def web_dpo_run(export_id: int, init: Path, beta: float, lr: float, epochs: int, progress) -> dict:
    """An ML engineer's DPO run from the web app: the row, a `training` worker, its curves. A run
    left unfinished by an interrupted study (its worker is gone) is marked failed and redone."""
    TrainingRun.objects.filter(export_id=export_id, status__in=UNFINISHED).update(
        status=Status.FAILED, error="the study was interrupted; its next run redid this one",
        finished_at=timezone.now())
    run = TrainingRun.objects.filter(export_id=export_id, status=Status.DONE).first()
    if run is None:
        run = launch_run(PreferenceExport.objects.get(pk=export_id), DPOConfig(beta=beta, lr=lr, epochs=epochs),
                         init_checkpoint=str(init))
    while TrainingRun.objects.get(pk=run.pk).status in UNFINISHED:
        progress(f"web-app DPO run {run.pk}: {len(TrainingRun.objects.get(pk=run.pk).epochs_done)}/{epochs} epochs")
        time.sleep(5)
    run.refresh_from_db()
    if run.status != Status.DONE:
        raise RuntimeError(f"DPO run {run.pk} ended {run.status}: {run.error}")
    return {"run": run.pk, "directory": run.directory, "last": run.epochs_done[-1]}


def truth_of(corpus: DemoCorpus) -> dict:
    return json.loads(corpus.timelines.read_text())


def publish_report(report: Path) -> None:
    """The report and its plots where the web app shows them to ML engineers (/training/study/)."""
    target = media.media_path(media.STUDY)
    shutil.copytree(report.parent / "plots", target / "plots", dirs_exist_ok=True)
    shutil.copyfile(report, target / "report.md")
