"""Where SECRET_KEY comes from: the environment, or (local runs only) a generated file."""
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def load_secret_key(debug: bool, key_file: Path) -> str:
    """Return SECRET_KEY from the environment; with DEBUG on, fall back to a key generated
    once into `key_file`, so local sessions survive restarts without a key in the repo."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
