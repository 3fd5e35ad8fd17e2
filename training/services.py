"""ML engineers' work: preference exports (judgments -> triplets for DPO) and DPO runs.

    OUT/triplets.jsonl   one TripletRow per line (dser/records.py)
    OUT/audio/*.wav      the clips' audio, named in the triplets relative to OUT
    OUT/manifest.json    filters, counts at each filter, time, the checkpoints that made the
                         sequences, sha256 of triplets.jsonl

How votes become triplets is training/aggregation.py (`ExportFilters.aggregate`). The same
database gives the same triplets.jsonl, byte for byte.
"""
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from annotator.dashboard import control_accuracy_by_annotator
from annotator.models import Judgment, SegmentAnswer, by_qualified, too_fast
from dser import media
from dser.files import write_text_atomic
from dser.jobs import Status
from dser.records import TRIPLETS_FILE, TripletRow, write_jsonl
from emotion.dpo_config import DPOConfig
from training.aggregation import AGGREGATIONS, GRANULARITIES, Triplet, aggregate, segment_triplets
from training.models import PreferenceExport, TrainingRun

MANIFEST = "manifest.json"


@dataclass
class ExportFilters:
    """What an export keeps. The one home of these defaults: the web form and
    `export_preferences` read them from here."""

    dataset: str = ""  # only clips of this dataset ("" all)
    batch: int | None = None  # only comparisons of this render batch
    until: str = ""  # only judgments given up to this ISO date and time ("" all): the votes as they stood then
    min_votes: int = 1  # judgments a comparison needs (every kind of answer counts)
    # Least share of a comparison's judgments on its majority side. (Not "agreement": that name
    # is the dashboard's, for how often two annotators of one comparison answer alike.)
    min_majority: float = 0.0
    exclude_failed_controls: bool = True  # drop annotators below the pass share on controls
    # Drop annotators whose votes do not count (yet): not qualified, or blocked (settings.QUALIFICATION;
    # nothing is dropped while qualification is off).
    exclude_unqualified: bool = True
    # Drop answers given sooner after serving than the video lasts (server clock): whatever the
    # page said, nobody watched the pair.
    exclude_too_fast: bool = True
    aggregate: str = "pairwise"  # or another of AGGREGATIONS (training/aggregation.py)
    granularity: str = "clip"  # triplets from whole-clip votes, from segment votes (one per stretch), or both
    bt_margin: float = 1.0  # bradley-terry, noisy-bt: least score difference of an emitted pair


@dataclass
class ExportResult:
    triplets: int
    counts: dict = field(default_factory=dict)  # how many remained after each filter
    sha256: str = ""


def judgments_for(filters: ExportFilters) -> tuple[QuerySet, dict]:
    judgments = Judgment.objects.filter(comparison__is_control=False).select_related(
        "comparison__clip", "left", "right")
    counts = {"judgments": judgments.count()}
    if filters.dataset:
        judgments = judgments.filter(comparison__clip__dataset=filters.dataset)
        counts["after dataset"] = judgments.count()
    if filters.batch:
        judgments = judgments.filter(comparison__batches=filters.batch)
        counts["after batch"] = judgments.count()
    if filters.until:
        judgments = judgments.filter(created_at__lte=parse_until(filters.until))
        counts["after until"] = judgments.count()
    if filters.exclude_too_fast:
        judgments = judgments.exclude(too_fast())
        counts["after too-fast answers"] = judgments.count()
    if filters.exclude_unqualified and settings.QUALIFICATION.on:
        judgments = judgments.filter(by_qualified())
        counts["after unqualified annotators"] = judgments.count()
    if filters.exclude_failed_controls:
        passing = settings.QUALIFICATION.pass_share
        failed = [pk for pk, accuracy in control_accuracy_by_annotator().items() if accuracy < passing]
        judgments = judgments.exclude(annotator__in=failed)
        counts["after failed controls"] = judgments.count()
        counts["annotators failing controls"] = len(failed)
    return judgments.order_by("comparison_id", "annotator_id"), counts


def parse_until(text: str) -> datetime:
    """ExportFilters.until as an aware datetime (a time without a zone is in TIME_ZONE)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"until must be an ISO 8601 date and time, such as 2026-12-06T18:30, not {text!r}") from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def triplet_row(triplet: Triplet) -> TripletRow:
    clip, chosen, rejected = triplet.clip, triplet.chosen, triplet.rejected
    return TripletRow(clip=clip.pk, audio=f"audio/clip{clip.pk}.wav", duration_s=clip.duration_s,
                      chosen=chosen.get_timeline(), rejected=rejected.get_timeline(),
                      chosen_params=chosen.source(), rejected_params=rejected.source(),
                      votes=triplet.votes, spans=triplet.spans)


def check_filters(filters: ExportFilters) -> None:
    if filters.aggregate not in AGGREGATIONS:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATIONS)}")
    if filters.granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    if filters.until:
        parse_until(filters.until)


def triplets_for(filters: ExportFilters) -> tuple[list[Triplet], dict]:
    """The export's triplets, in a fixed order, and the counts after each filter."""
    judgments, counts = judgments_for(filters)
    judgments = list(judgments)
    triplets = aggregate(judgments, filters, counts) if filters.granularity != "segment" else []
    if filters.granularity != "clip":
        answers: dict[int, list[tuple[int, str]]] = {}
        for judgment_id, index, choice in SegmentAnswer.objects.filter(judgment__in=judgments).values_list(
                "judgment_id", "index", "choice"):
            answers.setdefault(judgment_id, []).append((index, choice))
        stretches = segment_triplets(judgments, answers, filters, counts)
        counts["segment triplets"] = len(stretches)
        triplets += stretches
    return sorted(triplets, key=lambda t: (t.clip.pk, t.chosen.pk, t.rejected.pk, t.spans or [])), counts


def export_preferences(out: Path, filters: ExportFilters) -> ExportResult:
    check_filters(filters)
    triplets, counts = triplets_for(filters)
    with export_folder(Path(out)) as folder:
        for clip in {t.clip.pk: t.clip for t in triplets}.values():
            shutil.copyfile(media.media_path(clip.audio.name), folder / "audio" / f"clip{clip.pk}.wav")
        text = write_jsonl(folder / TRIPLETS_FILE, [triplet_row(t) for t in triplets])
        digest = hashlib.sha256(text.encode()).hexdigest()
        counts["triplets"] = len(triplets)
        checkpoints = sorted({(t.chosen.checkpoint, t.chosen.checkpoint_hash) for t in triplets})
        write_text_atomic(folder / MANIFEST, json.dumps({
            "filters": asdict(filters), "counts": counts, "created_at": timezone.now().isoformat(),
            "checkpoints": [{"path": path, "sha256": sha} for path, sha in checkpoints],
            "triplets_sha256": digest}, indent=1))
    return ExportResult(triplets=len(triplets), counts=counts, sha256=digest)


@contextmanager
def export_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out` to write an export into, renamed to `out` when the block
    succeeds and removed when it fails: an export is there whole or not at all. An earlier
    export in `out` is replaced; a folder holding anything else is refused."""
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ValueError(f"{out} holds files that are not an export; choose an empty or new folder")
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "audio").mkdir(parents=True)
    try:
        yield partial
        if out.exists():
            shutil.rmtree(out)
        partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def make_export(filters: ExportFilters, directory: Path | None = None, created_by=None) -> PreferenceExport:
    """Export the judgments now (into `directory`, default MEDIA_ROOT/exports/<id>) and record
    it: what `export_preferences` does. The web asks a worker instead (`request_export`)."""
    record = PreferenceExport.objects.create(filters=asdict(filters), created_by=created_by, status=Status.RUNNING)
    try:
        finish_export(record, directory)
    except Exception as error:
        PreferenceExport.objects.filter(pk=record.pk).update(status=Status.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    record.refresh_from_db()
    return record


def finish_export(record: PreferenceExport, directory: Path | None = None, token=None) -> bool:
    """Write `record`'s export and mark it done (as attempt `token`, when a worker claimed
    it). False if another attempt took it over."""
    directory = Path(directory) if directory else media.media_path(media.export_dir(record.pk))
    result = export_preferences(directory, ExportFilters(**record.filters))
    done = PreferenceExport.objects.filter(pk=record.pk, status=Status.RUNNING, claim=token)
    return bool(done.update(status=Status.DONE, claim=None, directory=str(directory), counts=result.counts,
                            triplets=result.triplets, sha256=result.sha256, error=""))


def request_export(filters: ExportFilters, created_by=None) -> PreferenceExport:
    """Record an export and hand it to a worker once committed (the page shows its state)."""
    check_filters(filters)
    with transaction.atomic():
        record = PreferenceExport.objects.create(filters=asdict(filters), created_by=created_by)
        transaction.on_commit(lambda: current_app.send_task(PreferenceExport.task_name, args=[record.pk]))
    return record


def launch_run(export: PreferenceExport, config: DPOConfig = DPOConfig(), *, init_checkpoint: str = "",
               created_by=None) -> TrainingRun:
    """Record a DPO run (the web form sets beta, learning rate, epochs, batch size, reference
    and label smoothing of `config`) and hand it to a worker on the `training` queue once
    committed."""
    if export.triplets == 0:
        raise ValueError(f"{export} has no triplets to train on")
    if config.beta <= 0 or config.lr <= 0 or config.epochs < 1 or config.batch_size < 1:
        raise ValueError("beta, learning rate, epochs and batch size must be positive")
    config.check()
    with transaction.atomic():
        run = TrainingRun.objects.create(export=export, init_checkpoint=init_checkpoint or settings.STAGE2_CHECKPOINT,
                                         beta=config.beta, lr=config.lr, epochs=config.epochs,
                                         batch_size=config.batch_size, label_smoothing=config.label_smoothing,
                                         reference_checkpoint="" if config.reference == "init" else config.reference,
                                         created_by=created_by)
        run.directory = str(media.media_path(media.run_dir(run.pk)))
        run.save(update_fields=["directory"])
        transaction.on_commit(lambda: current_app.send_task(TrainingRun.task_name, args=[run.pk]))
    return run


def cancel_run(run: TrainingRun) -> None:
    """A pending run never starts; a running one stops after its current step and keeps the
    checkpoint of its last finished epoch."""
    TrainingRun.objects.filter(pk=run.pk, status=Status.PENDING).update(
        status=Status.CANCELLED, finished_at=timezone.now())
    TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)
