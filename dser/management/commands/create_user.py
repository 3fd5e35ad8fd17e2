import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dser.roles import ROLES, assign_role


class Command(BaseCommand):
    help = (
        "Create a user with a role (annotators, admins, ml_engineers), or change an existing user's role. "
        "The password comes from --password-env (the name of an environment variable) or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--email", default="")
        parser.add_argument("--password-env", metavar="VAR", help="Read the password from this environment variable.")

    def handle(self, *args, username, role, email, password_env, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created or password_env:
            password = self._password(password_env)
            try:
                validate_password(password, user)
            except ValidationError as exc:
                if created:
                    user.delete()
                raise CommandError(" ".join(exc.messages)) from None
            user.set_password(password)
            user.save(update_fields=["password"])
        assign_role(user, role)
        self.stdout.write(f"{'Created' if created else 'Updated'} {username} with role {role}")

    def _password(self, password_env: str | None) -> str:
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"environment variable {password_env} is empty or unset")
            return password
        from getpass import getpass

        password = getpass("Password: ")
        if password != getpass("Password (again): "):
            raise CommandError("passwords do not match")
        return password
