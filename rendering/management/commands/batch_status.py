import json

from django.core.management.base import BaseCommand, CommandError

from rendering.batches import batch_counts
from rendering.management.commands.schedule_renders import format_counts
from rendering.models import RenderBatch


class Command(BaseCommand):
    help = "Counts by status of a render batch's clips, renders and comparisons, failures by reason, and its state."

    def add_arguments(self, parser):
        parser.add_argument("batch_id", nargs="?", type=int, help="The batch (default: the most recent).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="One JSON object, for scripts.")

    def handle(self, *args, batch_id, as_json, **options):
        batches = RenderBatch.objects.order_by("-created_at", "-pk")
        batch = batches.filter(pk=batch_id).first() if batch_id else batches.first()
        if batch is None:
            raise CommandError(f"no batch {batch_id}" if batch_id else "no batches yet")
        counts = batch_counts(batch)
        self.stdout.write(json.dumps(counts) if as_json else format_counts(counts))

