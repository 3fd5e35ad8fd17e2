import time
from dataclasses import fields

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rendering.batches import batch_counts
from rendering.models import JOB_MODELS, RenderBatch
from rendering.options import DEFAULTS, ScheduleOptions
from rendering.scheduling import schedule_batch


def pairs_option(value: str) -> int | None:
    return None if value == "all" else int(value)


class Command(BaseCommand):
    help = (
        "Schedule a render batch: for each ready clip selected, its sequences from the stage-1 model (or with "
        "--policy, a sequence model's candidates), an avatar video of each, and side-by-side comparisons. Prints "
        "the batch id (with --wait, a progress bar and the counts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", default=DEFAULTS.dataset, help="Clips of this dataset.")
        parser.add_argument("--split", default=DEFAULTS.split, help="Clips of this split.")
        parser.add_argument("--limit", type=int, default=DEFAULTS.limit, help="At most N clips.")
        parser.add_argument("--clips", default="", help="Explicit clip ids, comma-separated.")
        parser.add_argument("--checkpoint", default=DEFAULTS.checkpoint,
                            help="Stage-1 checkpoint (default: DSER_STAGE1_CHECKPOINT).")
        parser.add_argument("--policy", default=DEFAULTS.policy, metavar="CHECKPOINT",
                            help="A sequence (stage-2 or stage-3) model whose prediction and draws are the sequences, "
                                 "instead of the stage-1 model's sliding windows: an on-policy round.")
        parser.add_argument("--sequences", "--candidates", dest="sequences", type=int, default=DEFAULTS.sequences,
                            help=f"Sequences (a policy's candidates) per clip (default {DEFAULTS.sequences}).")
        parser.add_argument("--temperature", type=float, default=DEFAULTS.temperature,
                            help="A policy's draws: above 1 spread further from its prediction, below 1 stay nearer "
                                 f"(default {DEFAULTS.temperature:g}: the model's own uncertainty).")
        parser.add_argument("--pairs", type=pairs_option, default=DEFAULTS.pairs, metavar="all|N",
                            help="Comparisons per clip: all (default, 10 for 5 sequences) or N chosen reproducibly.")
        parser.add_argument("--min-distance", type=float, default=DEFAULTS.min_distance_s, metavar="SECONDS",
                            help=f"No two (window, stride) pairs closer than this (default {DEFAULTS.min_distance_s}).")
        parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help="Seed of the parameter draw and the pair order.")
        parser.add_argument("--priority", type=int, default=DEFAULTS.priority, choices=range(10),
                            help=f"0 lowest, 9 highest (default {DEFAULTS.priority}).")
        parser.add_argument("--controls", type=float, default=DEFAULTS.controls, metavar="FRACTION",
                            help=f"Share of clips that also get a control comparison (default {DEFAULTS.controls:g}).")
        parser.add_argument("--overlap", type=int, default=DEFAULTS.overlap,
                            help="Annotators per comparison (default: DSER_OVERLAP).")
        parser.add_argument("--min-difference", type=float, default=DEFAULTS.min_difference, metavar="TV",
                            help="Leave out pairs whose strongest stretch differs less than this (total "
                                 "variation, 0-1; default: DSER_MIN_DIFFERENCE).")
        parser.add_argument("--budget", type=int, default=DEFAULTS.budget, metavar="JUDGMENTS",
                            help="Serve its comparisons for this many judgments, controls included (default: no limit).")
        parser.add_argument("--wait", action="store_true", help="Show progress until the batch ends, then its counts.")

    def handle(self, *args, wait, **options):
        try:
            batch = self.schedule(schedule_options(options), options)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(batch.pk))
        if wait:
            self._wait(batch)

    def schedule(self, chosen: ScheduleOptions, options: dict) -> RenderBatch:
        return schedule_batch(chosen)

    def _wait(self, batch: RenderBatch) -> None:
        with tqdm(total=100, desc=f"batch {batch.pk}", unit="%", bar_format="{l_bar}{bar}| {n:.0f}%") as bar:
            while True:
                batch.refresh_from_db()
                counts = batch_counts(batch)
                bar.update(counts["progress"] * 100 - bar.n)
                if batch.state != RenderBatch.State.RUNNING:
                    break
                time.sleep(2)
        self.stdout.write(format_counts(counts))


def schedule_options(options: dict) -> ScheduleOptions:
    """The command's options as ScheduleOptions (ValueError: clip ids that are not numbers)."""
    try:
        clip_ids = tuple(int(pk) for pk in options["clips"].split(",") if pk.strip())
    except ValueError:
        raise ValueError("--clips takes clip ids (numbers), comma-separated") from None
    return ScheduleOptions(clip_ids=clip_ids, min_distance_s=options["min_distance"], **{
        field.name: options[field.name] for field in fields(ScheduleOptions) if field.name in options})


def format_counts(counts: dict) -> str:
    spread = "no clip done" if counts["spread"] is None else f"{counts['spread']:.3f}"
    lines = [f"batch {counts['id']}: {counts['state']}, {counts['sequences']} sequences (mean difference between "
             f"a clip's sequences {spread}), {counts['pairs_below_floor']} pairs below the difference floor"]
    for name in (model.label for model in JOB_MODELS):
        lines.append(f"  {name:<12}" + "  ".join(f"{status} {n}" for status, n in counts[name].items()))
    if counts["failures"]:
        lines.append("  failures by reason: " + ", ".join(f"{k} {v}" for k, v in counts["failures"].items()))
    return "\n".join(lines)
