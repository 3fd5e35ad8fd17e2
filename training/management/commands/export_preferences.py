import argparse
from dataclasses import fields
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dser.records import TRIPLETS_FILE
from training.aggregation import AGGREGATIONS, GRANULARITIES
from training.services import ExportFilters, make_export

DEFAULTS = ExportFilters()


class Command(BaseCommand):
    help = ("Export the judgments as DPO triplets: OUT_DIR/triplets.jsonl, OUT_DIR/audio/, OUT_DIR/manifest.json. "
            "'No preference' and 'both poor' count as votes but make no triplet.")

    def add_arguments(self, parser):
        parser.add_argument("out_dir", type=Path)
        parser.add_argument("--dataset", default=DEFAULTS.dataset, help="Only clips of this dataset.")
        parser.add_argument("--batch", type=int, default=DEFAULTS.batch, help="Only comparisons of this render batch.")
        parser.add_argument("--until", default=DEFAULTS.until, metavar="DATETIME",
                            help="Only judgments given up to this ISO date and time (the votes as they stood then).")
        parser.add_argument("--min-votes", type=int, default=DEFAULTS.min_votes,
                            help=f"Judgments a comparison needs (default {DEFAULTS.min_votes}).")
        parser.add_argument("--min-majority", type=float, default=DEFAULTS.min_majority,
                            help="Least share of a comparison's judgments on its majority side "
                                 f"(default {DEFAULTS.min_majority:g}).")
        parser.add_argument("--exclude-failed-controls", action=argparse.BooleanOptionalAction,
                            default=DEFAULTS.exclude_failed_controls,
                            help="Leave out annotators who got too few controls right (default: leave them out).")
        parser.add_argument("--exclude-unqualified", action=argparse.BooleanOptionalAction,
                            default=DEFAULTS.exclude_unqualified,
                            help="Leave out annotators whose votes do not count: not yet qualified, or blocked "
                                 "(DSER_QUALIFY_CONTROLS; default: leave them out).")
        parser.add_argument("--exclude-too-fast", action=argparse.BooleanOptionalAction, default=DEFAULTS.exclude_too_fast,
                            help="Leave out answers given sooner than the video lasts (server clock; default: leave "
                                 "them out).")
        parser.add_argument("--aggregate", choices=AGGREGATIONS, default=DEFAULTS.aggregate)
        parser.add_argument("--granularity", choices=GRANULARITIES, default=DEFAULTS.granularity,
                            help="Triplets from whole-clip votes (clip), from the answers about each marked stretch "
                                 f"(segment: one triplet per stretch, with its span), or both (default "
                                 f"{DEFAULTS.granularity}).")
        parser.add_argument("--bt-margin", type=float, default=DEFAULTS.bt_margin,
                            help=f"bradley-terry: least score difference of an emitted pair (default {DEFAULTS.bt_margin}).")

    def handle(self, *args, out_dir, **options):
        filters = ExportFilters(**{field.name: options[field.name] for field in fields(ExportFilters)})
        try:
            export = make_export(filters, out_dir)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for name, count in export.counts.items():
            self.stdout.write(f"{name:<45} {count:>7}")
        self.stdout.write(f"wrote {out_dir / TRIPLETS_FILE} (sha256 {export.sha256[:12]})")
