from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotator.models import ApiToken


class Command(BaseCommand):
    help = ("Print a new API token for USERNAME, for scripts: send it as `Authorization: Bearer <token>`. "
            "Only its hash is kept, so it is shown once.")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        self.stdout.write(ApiToken.issue(user))
