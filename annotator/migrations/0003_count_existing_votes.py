from django.conf import settings
from django.db import migrations

from annotator.stats.votes import is_decisive


def count_existing_votes(apps, schema_editor):
    """Comparisons judged before votes were counted get their `decided` (as record_votes)."""
    Judgment = apps.get_model("annotator", "Judgment")
    Comparison = apps.get_model("rendering", "Comparison")
    answers: dict[int, list[str]] = {}
    for comparison_id, choice in Judgment.objects.values_list("comparison_id", "choice").iterator():
        answers.setdefault(comparison_id, []).append(choice)
    decided = [pk for pk, given in answers.items() if is_decisive(given, settings.DECISIVE_LEAD)]
    Comparison.objects.filter(pk__in=decided).update(decided=True)


class Migration(migrations.Migration):

    dependencies = [
        ("annotator", "0002_judgments_append_only_tokens_expire"),
        ("rendering", "0004_pair_difference_and_floor"),
    ]

    operations = [migrations.RunPython(count_existing_votes, migrations.RunPython.noop)]
