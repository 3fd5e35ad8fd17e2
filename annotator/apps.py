from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Corpus and annotation"

    def ready(self):
        # Load the Celery app so shared tasks bind to it in every Django process.
        import dser.celery  # noqa: F401
        from dser.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)
