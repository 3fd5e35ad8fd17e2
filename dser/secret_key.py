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
        _write_private(key_file, secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file readable by its owner alone from the first byte (created 0600
    under a temporary name, then renamed), so no other user ever reads the key."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
