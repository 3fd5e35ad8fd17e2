from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from training.services import AGGREGATIONS, ExportFilters, make_export


class Command(BaseCommand):
    help = ("Export the judgments as DPO triplets: OUT_DIR/triplets.jsonl, OUT_DIR/audio/, OUT_DIR/manifest.json. "
            "'No preference' and 'both poor' count as votes but make no triplet.")

    def add_arguments(self, parser):
        parser.add_argument("out_dir", type=Path)
        parser.add_argument("--dataset", default="", help="Only clips of this dataset.")
        parser.add_argument("--batch", type=int, help="Only comparisons of this render batch.")
        parser.add_argument("--min-votes", type=int, default=1, help="Judgments a comparison needs (default 1).")
        parser.add_argument("--min-agreement", type=float, default=0.0,
                            help="Share of a comparison's judgments on its majority side (default 0).")
        parser.add_argument("--exclude-failed-controls", action="store_true",
                            help="Leave out annotators who got too few controls right.")
        parser.add_argument("--aggregate", choices=AGGREGATIONS, default="pairwise")
        parser.add_argument("--bt-margin", type=float, default=1.0,
                            help="bradley-terry: least score difference of an emitted pair (default 1.0).")

    def handle(self, *args, out_dir, dataset, batch, min_votes, min_agreement, exclude_failed_controls, aggregate,
               bt_margin, **options):
        filters = ExportFilters(dataset=dataset, batch=batch, min_votes=min_votes, min_agreement=min_agreement,
                                exclude_failed_controls=exclude_failed_controls, aggregate=aggregate, bt_margin=bt_margin)
        try:
            export = make_export(filters, out_dir)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for name, count in export.counts.items():
            self.stdout.write(f"{name:<30} {count:>7}")
        self.stdout.write(f"wrote {out_dir / 'triplets.jsonl'} (sha256 {export.sha256[:12]})")
