"""Settings come from the environment, with working local defaults and loud failures."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup();"
    "db = settings.DATABASES['default'];"
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'host': db.get('HOST', ''),"
    " 'options': db.get('OPTIONS', {}), 'debug': settings.DEBUG, 'broker': settings.CELERY_BROKER_URL,"
    " 'media': str(settings.MEDIA_ROOT), 'key': settings.SECRET_KEY, 'hosts': settings.ALLOWED_HOSTS}))"
)


def load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    clean.update(DJANGO_SETTINGS_MODULE="dser.settings", DSER_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run([sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_local_runs_need_only_debug_on(tmp_path):
    """`make demo` and `make test` set DEBUG=1: SQLite in WAL mode, local Redis, a generated key."""
    result = load_settings(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "var" / "db.sqlite3")
    assert "journal_mode=WAL" in values["options"]["init_command"]
    assert values["debug"] is True
    assert values["broker"] == "redis://127.0.0.1:6379/0"
    assert values["media"] == str(tmp_path / "var" / "media")
    # A key is generated once for local runs, readable by its owner alone, and reused.
    assert len(values["key"]) > 40
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert json.loads(load_settings(tmp_path, DEBUG="1").stdout)["key"] == values["key"]


def test_environment_overrides_every_default(tmp_path):
    result = load_settings(
        tmp_path, DATABASE_URL="postgres://u:p@db.internal:5432/dser", REDIS_URL="redis://broker:6379/3",
        MEDIA_ROOT="/srv/media", SECRET_KEY="k" * 50, DEBUG="0", ALLOWED_HOSTS="dser.example.org, other",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert (values["engine"], values["name"], values["host"]) == ("django.db.backends.postgresql", "dser", "db.internal")
    assert values["broker"] == "redis://broker:6379/3"
    assert values["media"] == "/srv/media"
    assert values["debug"] is False and values["key"] == "k" * 50
    assert values["hosts"] == ["dser.example.org", "other"]


def test_debug_is_off_by_default_and_then_a_secret_key_is_required(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_a_malformed_boolean_fails_loudly(tmp_path):
    result = load_settings(tmp_path, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    """What was tried: `manage.py check --deploy --fail-level WARNING` with what a deployment
    sets (DEBUG off, a strong key, its hosts). What must hold: no warning at all (TLS redirect,
    HSTS, secure cookies, the proxy's scheme header, password validators)."""
    test_only = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the last: the browser tests'
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(DJANGO_SETTINGS_MODULE="dser.settings", DSER_VAR_DIR=str(tmp_path / "var"), DEBUG="0",
               SECRET_KEY="".join(chr(33 + (i * 7919) % 90) for i in range(64)), ALLOWED_HOSTS="dser.example.org")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
