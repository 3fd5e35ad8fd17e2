import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from corpus.services import import_clips
from corpus.sources.clips import meld_sources
from corpus.sources.meld import MeldFormatError, split_from_csv_name


class Command(BaseCommand):
    help = (
        "Import MELD clips: one clip per CSV row, audio extracted from dia{D}_utt{U}.mp4 to 16 kHz mono WAV. "
        "Re-running imports only what is new; unusable files become failed clips with a reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, type=Path, help="MELD annotation CSV, e.g. train_sent_emo.csv.")
        parser.add_argument("--clips", required=True, type=Path, help="Folder holding dia{D}_utt{U}.mp4 files.")
        parser.add_argument("--split", help="train, dev or test (default: from the CSV's name).")
        parser.add_argument("--dataset", default="meld", help="Dataset name for the clips (default: meld).")
        parser.add_argument("--limit", type=int, help="Import only the first N rows.")
        parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="Parallel ffmpeg decodes.")
        parser.add_argument("--retry-failed", action="store_true", help="Try clips that failed before again.")

    def handle(self, *args, csv, clips, split, dataset, limit, jobs, retry_failed, **options):
        if not csv.is_file():
            raise CommandError(f"CSV not found: {csv}")
        if not clips.is_dir():
            raise CommandError(f"clip folder not found: {clips}")
        split = split or split_from_csv_name(csv)
        if not split:
            raise CommandError(f"cannot tell the split from {csv.name}; pass --split")
        try:
            sources, notes = meld_sources(csv, clips, split, limit)
        except MeldFormatError as exc:
            raise CommandError(str(exc)) from None
        summary = import_clips(
            dataset, sources, jobs=jobs, retry_failed=retry_failed,
            show_progress=options["verbosity"] > 0,
        )
        summary.notes = notes + summary.notes
        self.stdout.write(summary.table())
