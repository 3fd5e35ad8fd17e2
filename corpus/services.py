"""Turning media files into Clip rows: the engine both import commands share.

Idempotent: a clip whose (dataset, key) exists is skipped, so an import can be re-run
after an interruption. A file that cannot be used becomes a `failed` clip with the
reason; nothing stops the rest. Audio is decoded in a thread pool (ffmpeg runs in its own
process), rows are written from the calling thread.
"""
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from tqdm import tqdm

from corpus.models import Clip
from corpus.sources.clips import ClipSource
from corpus.sources.media import ExtractedAudio, MediaError, extract_wav
from dser import media


@dataclass
class ImportSummary:
    imported: int = 0
    skipped_existing: int = 0
    failed: Counter = field(default_factory=Counter)  # failure kind -> count
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        rows = [("imported", self.imported), ("skipped (already imported)", self.skipped_existing)]
        rows.append(("failed", sum(self.failed.values())))
        rows += [(f"  {kind}", count) for kind, count in sorted(self.failed.items())]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {count:>6}" for name, count in rows]
        return "\n".join(lines + [f"note: {note}" for note in self.notes])


def _extract(source_and_target: tuple[ClipSource, Path]) -> ExtractedAudio | MediaError:
    source, target = source_and_target
    try:
        return extract_wav(source.path, target)
    except MediaError as error:
        return error


def import_clips(
    dataset: str,
    sources: list[ClipSource],
    *,
    jobs: int = 2,
    retry_failed: bool = False,
    show_progress: bool = True,
) -> ImportSummary:
    """Import `sources` into `dataset`, with a progress bar on stderr if `show_progress`."""
    summary = ImportSummary()
    existing = dict(Clip.objects.filter(dataset=dataset).values_list("key", "status"))
    todo = []
    for source in sources:
        status = existing.get(source.key)
        if status is None or (retry_failed and status == Clip.Status.FAILED):
            todo.append(source)
        else:
            summary.skipped_existing += 1

    jobs_in = [(source, media.media_path(media.clip_audio(dataset, source.key))) for source in todo]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = pool.map(_extract, jobs_in)
        bar = tqdm(zip(todo, outcomes), total=len(todo), desc=f"import {dataset}", unit="clip", disable=not show_progress)
        for source, outcome in bar:
            fields = dict(source.fields, source_path=str(source.path))
            if isinstance(outcome, MediaError):
                fields.update(status=Clip.Status.FAILED, failure_kind=outcome.kind, status_reason=str(outcome),
                              audio="", duration_s=None)
            else:
                fields.update(status=Clip.Status.READY, failure_kind="", status_reason="", duration_s=outcome.duration_s,
                              audio=media.clip_audio(dataset, source.key))
            if _save(dataset, source.key, fields, replace=source.key in existing):
                if isinstance(outcome, MediaError):
                    summary.failed[outcome.kind] += 1
                else:
                    summary.imported += 1
            else:
                summary.skipped_existing += 1
    return summary


def _save(dataset: str, key: str, fields: dict, replace: bool) -> bool:
    """Write one clip row; False if another importer created it meanwhile."""
    if replace:
        Clip.objects.filter(dataset=dataset, key=key).update(**fields)
        return True
    try:
        with transaction.atomic():
            Clip.objects.create(dataset=dataset, key=key, **fields)
        return True
    except IntegrityError:
        return False
