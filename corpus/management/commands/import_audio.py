import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from corpus.services import import_clips
from corpus.sources.clips import AUDIO_EXTENSIONS, folder_sources


class Command(BaseCommand):
    help = (
        f"Import every audio or video file ({', '.join(sorted(AUDIO_EXTENSIONS))}) below a folder as clips, "
        "keyed by relative path. Re-running imports only what is new."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="Folder to import, searched recursively.")
        parser.add_argument("--dataset", help="Dataset name for the clips (default: the folder's name).")
        parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="Parallel ffmpeg decodes.")
        parser.add_argument("--retry-failed", action="store_true", help="Try clips that failed before again.")

    def handle(self, *args, folder, dataset, jobs, retry_failed, **options):
        if not folder.is_dir():
            raise CommandError(f"folder not found: {folder}")
        sources = folder_sources(folder)
        if not sources:
            raise CommandError(f"no audio or video files below {folder}")
        dataset = dataset or folder.resolve().name
        summary = import_clips(
            dataset, sources, jobs=jobs, retry_failed=retry_failed,
            show_progress=options["verbosity"] > 0,
        )
        self.stdout.write(summary.table())
