from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DserConfig(AppConfig):
    """The project itself as an app: its management commands (create_user) and the role
    groups, which span every app."""

    name = "dser"
    verbose_name = "DSER preference studio"

    def ready(self):
        # Load the Celery app so shared tasks bind to it in every Django process.
        import dser.celery  # noqa: F401
        from dser.roles import ensure_role_groups

        # After every app's migrations (no sender): an app's permissions exist only once
        # its own post_migrate has run, and groups must get those of every app.
        post_migrate.connect(ensure_role_groups, dispatch_uid="dser.ensure_role_groups")
