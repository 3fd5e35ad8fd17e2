#!/usr/bin/env bash
# `make demo`: a local instance with the generated demo corpus imported and a render batch
# over it, a Celery worker and beat, and the web app on http://127.0.0.1:$PORT. Safe to run
# again: nothing is redone.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
mkdir -p var

scripts/ensure_services.sh
$PY manage.py migrate --noinput -v 0

if [ ! -f var/demo/meld/timelines.json ]; then
  $PY manage.py make_demo_corpus var/demo
fi
$PY manage.py import_meld --csv var/demo/meld/dev_sent_emo.csv --clips var/demo/meld/dev_splits_complete --dataset demo-meld
$PY manage.py import_audio var/demo/crema_d --dataset demo-crema-d

# Demo accounts share one generated password, kept in var/ (never in the repository).
if [ ! -f var/demo_password ]; then
  $PY -c "import secrets; print(secrets.token_urlsafe(9))" > var/demo_password
  chmod 600 var/demo_password
fi
export DEMO_PASSWORD
DEMO_PASSWORD=$(cat var/demo_password)
for account in "admin admins" "annotator annotators" "engineer ml_engineers"; do
  set -- $account
  $PY manage.py create_user "$1" --role "$2" --password-env DEMO_PASSWORD >/dev/null
done

# One render batch over the demo clips (the first run only): sequences, avatar videos, pairs.
if ! $PY manage.py batch_status >/dev/null 2>&1; then
  echo "Scheduled render batch $($PY manage.py schedule_renders --dataset demo-meld --controls 0.1) over the demo clips"
fi

# The whole loop at toy size, in this app's database: rendered study comparisons judged by
# simulated annotators, a finished DPO run, and the report at /training/study/ (the first run only).
if [ ! -f var/demo-study/report.md ]; then
  echo "Running the whole-loop study at toy size (a few minutes; var/demo-study.log)"
  DSER_VAR_DIR="$PWD/var" $PY -m benchmarks.study --quick --seeds 1 --out var/demo-study > var/demo-study.log 2>&1 \
    || echo "The study did not finish (see var/demo-study.log); the demo goes on without it."
fi

# Worker and beat in their own process groups, so that stopping the demo stops them and their children.
setsid make --no-print-directory worker CONCURRENCY=2 > var/worker.log 2>&1 &
worker=$!
setsid make --no-print-directory beat > var/beat.log 2>&1 &
beat=$!
trap 'kill -- -$worker -$beat 2>/dev/null' EXIT

cat <<MSG

  DSER preference studio: http://127.0.0.1:$PORT/
  accounts admin / annotator / engineer, password: $DEMO_PASSWORD
  Render batch progress: http://127.0.0.1:$PORT/admin/rendering/renderbatch/  (as admin)
  Celery logs: var/worker.log, var/beat.log   (Ctrl-C stops everything)

MSG
make --no-print-directory web PORT="$PORT"
