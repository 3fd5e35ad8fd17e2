import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rendering import services
from rendering.models import RenderBatch


def pairs_option(value: str) -> int | None:
    return None if value == "all" else int(value)


class Command(BaseCommand):
    help = (
        "Schedule a render batch: for each ready clip selected, its sequences from the stage-1 model, an avatar "
        "video of each, and side-by-side comparisons. Prints the batch id (with --wait, a progress bar and the counts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", default="", help="Clips of this dataset.")
        parser.add_argument("--split", default="", help="Clips of this split.")
        parser.add_argument("--limit", type=int, help="At most N clips.")
        parser.add_argument("--clips", default="", help="Explicit clip ids, comma-separated.")
        parser.add_argument("--checkpoint", default="", help="Stage-1 checkpoint (default: DSER_STAGE1_CHECKPOINT).")
        parser.add_argument("--sequences", type=int, default=5, help="Sequences per clip (default 5).")
        parser.add_argument("--pairs", type=pairs_option, default=None, metavar="all|N",
                            help="Comparisons per clip: all (default, 10 for 5 sequences) or N chosen reproducibly.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the parameter draw and the pair order.")
        parser.add_argument("--priority", type=int, default=5, choices=range(10), help="0 lowest, 9 highest.")
        parser.add_argument("--controls", type=float, default=0.0, metavar="FRACTION",
                            help="Share of clips that also get a control comparison (default 0).")
        parser.add_argument("--overlap", type=int, help="Annotators per comparison (default: DSER_OVERLAP).")
        parser.add_argument("--wait", action="store_true", help="Show progress until the batch ends, then its counts.")

    def handle(self, *args, dataset, split, limit, clips, checkpoint, sequences, pairs, seed, priority, controls, overlap,
               wait, **options):
        try:
            clip_ids = [int(pk) for pk in clips.split(",") if pk.strip()]
            batch = services.schedule_batch(checkpoint=checkpoint, dataset=dataset, split=split, clip_ids=clip_ids,
                                            limit=limit, sequences=sequences, pairs=pairs, seed=seed, priority=priority,
                                            controls=controls, overlap=overlap)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(batch.pk))
        if wait:
            self._wait(batch)

    def _wait(self, batch: RenderBatch) -> None:
        with tqdm(total=100, desc=f"batch {batch.pk}", unit="%", bar_format="{l_bar}{bar}| {n:.0f}%") as bar:
            while True:
                batch.refresh_from_db()
                counts = services.batch_counts(batch)
                bar.update(counts["progress"] * 100 - bar.n)
                if batch.state != RenderBatch.State.RUNNING:
                    break
                time.sleep(2)
        self.stdout.write(format_counts(counts))


def format_counts(counts: dict) -> str:
    lines = [f"batch {counts['id']}: {counts['state']}, {counts['sequences']} sequences"]
    for name in ("clips", "renders", "comparisons"):
        lines.append(f"  {name:<12}" + "  ".join(f"{status} {n}" for status, n in counts[name].items()))
    if counts["failures"]:
        lines.append("  failures by reason: " + ", ".join(f"{k} {v}" for k, v in counts["failures"].items()))
    return "\n".join(lines)
