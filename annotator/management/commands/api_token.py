from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotator.models import ApiToken


class Command(BaseCommand):
    help = ("Print a new API token for annotator USERNAME, for scripts: send it as `Authorization: Bearer <token>`. "
            "Only its hash is kept, so it is shown once; it expires after DSER_API_TOKEN_TTL_DAYS. "
            "--revoke stops every token of USERNAME; --list shows them.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--revoke", action="store_true", help="Revoke every working token of USERNAME.")
        action.add_argument("--list", action="store_true", dest="show", help="List USERNAME's tokens.")

    def handle(self, *args, username, revoke, show, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if revoke:
            self.stdout.write(f"revoked {ApiToken.revoke(user.api_tokens.all())} token(s) of {username}")
        elif show:
            for token in user.api_tokens.all():
                state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
                self.stdout.write(f"{token.prefix}…  created {token.created_at:%Y-%m-%d}  "
                                  f"last used {token.last_used_at or 'never'}  {state}")
        else:
            try:
                self.stdout.write(ApiToken.issue(user))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
