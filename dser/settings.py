"""Django settings. Every value can come from the environment. The defaults are a deployment's:
DEBUG off, so SECRET_KEY is required, HTTPS enforced and cookies secure (`manage.py check
--deploy --fail-level WARNING` passes); `make demo` and `make test` set DEBUG=1 for a local
run (SQLite in var/, Redis on localhost, a generated key)."""
from pathlib import Path

import dj_database_url

from annotator.stats.qualification import Rules
from dser.env import env_bool, env_choice, env_float, env_int, env_list, env_str
from dser.secret_key import load_secret_key
from emotion.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2
from rendering.face.options import RenderOptions

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DSER_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = load_secret_key(DEBUG, VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "dser.admin_site.DserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "dser",
    # The apps, in the order data flows through them; each imports only those above it.
    "corpus",
    "rendering",
    "annotator",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dser.urls"
WSGI_APPLICATION = "dser.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite by default (WAL, so the web app reads while a worker writes); PostgreSQL in
# docker-compose and in the test run.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Logins cannot be guessed without limit (django-axes, on the site's and the admin's login):
# after DSER_LOGIN_FAILURES wrong passwords an account (and, separately, an address trying
# many accounts) is locked for DSER_LOGIN_COOLOFF_H hours, even for the right password; admins
# see the attempts in the admin, and `manage.py axes_reset_username USERNAME` unlocks one.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("DSER_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = env_int("DSER_LOGIN_COOLOFF_H", 1)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start (commands print machine-read output)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"  # served by dser.views.media, behind login
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Behind nginx: the internal location that serves MEDIA_ROOT (e.g. "/protected-media/"); Django
# checks permissions and answers with X-Accel-Redirect. Empty: Django sends the files itself.
X_ACCEL_PREFIX = env_str("DSER_X_ACCEL_PREFIX", "")

# Logins and tokens over TLS only, unless DEBUG: behind a proxy that terminates TLS (the nginx
# of docker-compose) and says so in X-Forwarded-Proto; plain HTTP is redirected (but for the
# load balancers' /healthz); browsers are told to keep to HTTPS (HSTS).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", not DEBUG) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if SECURE_PROXY_SSL_HEADER:  # every request comes from the proxy: lock logins by the address it forwards
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Celery: the database holds job state, Redis only carries messages. Tasks are
# acknowledged after they finish and re-queued if their worker dies, so every task
# must be idempotent. Inference and rendering have their own queues.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "rendering.tasks.generate_sequences": {"queue": "inference"},
    "rendering.tasks.render_sequence": {"queue": "render"},
    "rendering.tasks.render_comparison": {"queue": "render"},
    "training.tasks.train_dpo_run": {"queue": "training"},
}
# A message not acknowledged within this many seconds is delivered again: longer than
# the longest task (a DPO run), or it would run twice. Priorities 0 (first) to 9.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 6 * 3600),
    "queue_order_strategy": "priority", "priority_steps": list(range(10)), "sep": ":",
}

# The stage-1 emotion model that makes the sequences annotators compare: a checkpoint
# directory (default: the embedded one, emotion/checkpoints/stage1).
STAGE1_CHECKPOINT = env_str("DSER_STAGE1_CHECKPOINT", str(DEFAULT_STAGE1))
# The stage-2 model DPO runs start from (policy and frozen reference), unless a run names another.
STAGE2_CHECKPOINT = env_str("DSER_STAGE2_CHECKPOINT", str(DEFAULT_STAGE2))

# True timelines of held-out clips (a reference.jsonl, as `python -m emotion evaluate` reads):
# when set, every finished DPO run is scored on them, beside its init, and the rounds page
# shows whether each round improved the model. Blank: runs are not scored.
HELDOUT_REFERENCE = env_str("DSER_HELDOUT_REFERENCE", "")

# Folders whose checkpoints (any depth) the web forms offer beside the defaults above and the
# finished DPO runs: the web never takes a server path as free text.
CHECKPOINT_ROOTS = [Path(root) for root in env_list("DSER_CHECKPOINT_ROOTS", [])]

# Render jobs. A running item whose worker shows no sign of life for JOB_STALE_S may be
# taken over by another worker; a failing item is tried JOB_MAX_ATTEMPTS times, waiting
# JOB_RETRY_BACKOFF_S, then twice that, ... between tries. The reconciler (Celery beat, every
# RECONCILE_EVERY_S) re-enqueues what has waited longer than RECONCILE_AFTER_S.
JOB_STALE_S = env_int("DSER_JOB_STALE_S", 120)
JOB_MAX_ATTEMPTS = env_int("DSER_JOB_MAX_ATTEMPTS", 3)
JOB_RETRY_BACKOFF_S = env_int("DSER_JOB_RETRY_BACKOFF_S", 10)
RECONCILE_AFTER_S = env_int("DSER_RECONCILE_AFTER_S", 300)
RECONCILE_EVERY_S = env_int("DSER_RECONCILE_EVERY_S", 60)
CELERY_BEAT_SCHEDULE = {
    "reconcile-render-jobs": {"task": "rendering.tasks.reconcile", "schedule": RECONCILE_EVERY_S},
    "reconcile-training-runs": {"task": "training.tasks.reconcile_runs", "schedule": RECONCILE_EVERY_S},
}

# Annotation: how many different annotators judge each comparison (a batch may ask for
# more), and how long a served comparison stays reserved for its annotator.
# Votes per comparison: every comparison gets OVERLAP (a batch may ask for more); one whose
# votes are split (no answer leads the next by DECISIVE_LEAD) is served again, up to MAX_OVERLAP
# (0: never).
OVERLAP = env_int("DSER_OVERLAP", 1)
MAX_OVERLAP = env_int("DSER_MAX_OVERLAP", 0)
DECISIVE_LEAD = env_int("DSER_DECISIVE_LEAD", 2)
MIN_DIFFERENCE = env_float("DSER_MIN_DIFFERENCE", 0.0)
# Serve where one more vote is worth most first (Comparison.vote_worth); off: each annotator's
# own order alone, as before issue 28.
ACTIVE_CHOICE = env_bool("DSER_ACTIVE_CHOICE", True)
# Qualification (annotator/stats/qualification.py): a new annotator's first QUALIFY_CONTROLS
# comparisons are controls, and their votes count once CONTROL_PASS of their checks pass; then
# a control about every CONTROL_EVERY answers; warned after WARN_AFTER_FAILED failed checks in a
# row, no longer served after BLOCK_AFTER_FAILED (while below CONTROL_PASS) until an admin
# reinstates them. DSER_QUALIFY_CONTROLS=0 turns it off: every vote counts, controls are mixed in.
QUALIFICATION = Rules(controls=env_int("DSER_QUALIFY_CONTROLS", 5), pass_share=env_float("DSER_CONTROL_PASS", 0.7),
                      every=env_int("DSER_CONTROL_EVERY", 10), warn_after=env_int("DSER_WARN_AFTER_FAILED", 2),
                      block_after=env_int("DSER_BLOCK_AFTER_FAILED", 5))
# An answer sooner after serving than this share of the video's length is "too fast": nobody
# watched the pair (exports leave it out; qualification counts it as a failed check).
MIN_WATCH_SHARE = env_float("DSER_MIN_WATCH_SHARE", 1.0)
# Segment votes: beside the overall answer, one per marked stretch (Comparison.marks), which
# side follows the voice better there. off: not asked; optional: asked, may be skipped;
# required: the overall answer waits until every stretch is answered.
SEGMENT_VOTES = env_choice("DSER_SEGMENT_VOTES", "optional", ("off", "optional", "required"))
LEASE_S = env_int("DSER_LEASE_S", 600)
CHANGE_WINDOW_S = env_int("DSER_CHANGE_WINDOW_S", 600)
# Annotators' API tokens stop working after this many days (a new one from `api_token`).
API_TOKEN_TTL_DAYS = env_int("DSER_API_TOKEN_TTL_DAYS", 90)

# Rendering: a glTF 2.0 head with ARKit-named morph targets; empty = the default Face Cap
# head from the openfacefx wheel (see README, "Avatar licence").
AVATAR_PATH = env_str("DSER_AVATAR", "")
RENDER_SIZE = env_int("DSER_RENDER_SIZE", RenderOptions.size)
RENDER_FPS = env_int("DSER_RENDER_FPS", int(RenderOptions.fps))
RENDER_MSAA = env_bool("DSER_RENDER_MSAA", RenderOptions.msaa)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
