from django.conf import settings
from django.core.management.base import BaseCommand

from rendering.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Re-enqueue render-job items that have waited too long (lost messages, dead workers, a flushed Redis), "
        "remove half-written files dead workers left, and finish batches with nothing left. Safe to run any time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=settings.RECONCILE_AFTER_S, metavar="SECONDS",
                            help=f"Only items waiting longer than this (default {settings.RECONCILE_AFTER_S}; "
                                 "0: everything unfinished).")

    def handle(self, *args, older_than, **options):
        sent = reconcile(older_than)
        self.stdout.write(", ".join(f"{name} {n}" for name, n in sent.items()) or "nothing to do")
