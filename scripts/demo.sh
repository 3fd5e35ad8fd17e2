#!/usr/bin/env bash
# `make demo`: a local instance with the generated demo corpus imported and a render batch
# over it, a Celery worker and beat, and the web app on http://127.0.0.1:$PORT. The web app,
# worker and beat start first; the whole-loop study at toy size then runs in the background
# (its page, /training/study/, says how far it has come). Safe to run again: nothing is redone.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PORT=${PORT:-8000}
export DEBUG=${DEBUG:-1}  # a local instance: plain HTTP, a generated key (settings default to a deployment's)
mkdir -p var

scripts/ensure_services.sh
$PY manage.py migrate --noinput -v 0

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

# Web app, worker and beat in their own process groups, so that stopping the demo stops them
# and their children.
children=()
trap 'for pid in "${children[@]}"; do kill -- -"$pid" 2>/dev/null; done' EXIT
setsid make --no-print-directory worker CONCURRENCY=2 > var/worker.log 2>&1 & children+=($!)
setsid make --no-print-directory beat > var/beat.log 2>&1 & children+=($!)
setsid make --no-print-directory web PORT="$PORT" > var/web.log 2>&1 & children+=($!)
web=$!

# The demo corpus and one render batch over it (the first run only): sequences, avatar
# videos, pairs, rendered by the worker above while the web app already answers.
if [ ! -f var/demo/meld/timelines.json ]; then
  echo "Generating the demo corpus (var/demo)"
  $PY manage.py make_demo_corpus var/demo
fi
$PY manage.py import_meld --csv var/demo/meld/dev_sent_emo.csv --clips var/demo/meld/dev_splits_complete --dataset demo-meld
$PY manage.py import_audio var/demo/crema_d --dataset demo-crema-d
if ! $PY manage.py batch_status >/dev/null 2>&1; then
  echo "Scheduled render batch $($PY manage.py schedule_renders --dataset demo-meld --controls 0.3) over the demo clips"
fi

# The whole loop at toy size, in this app's database (the first run only), in the background:
# rendered study comparisons judged by simulated annotators, a finished DPO run, the report.
if [ ! -f var/demo-study/report.md ]; then
  status=$($PY manage.py shell -v 0 -c "from dser import media; print(media.media_path(media.STUDY_STATUS))")
  echo "Running the whole-loop study at toy size in the background (var/demo-study.log; progress at /training/study/)"
  DSER_VAR_DIR="$PWD/var" setsid nice -n 10 $PY -m benchmarks.study --quick --seeds 1 --out var/demo-study --status "$status" \
    > var/demo-study.log 2>&1 & children+=($!)
fi

cat <<MSG

  DSER preference studio: http://127.0.0.1:$PORT/
  accounts admin / annotator / engineer, password: $DEMO_PASSWORD
  Render batch progress: http://127.0.0.1:$PORT/admin/rendering/renderbatch/  (as admin)
  Study progress: http://127.0.0.1:$PORT/training/study/  (as engineer)
  Logs: var/web.log, var/worker.log, var/beat.log, var/demo-study.log   (Ctrl-C stops everything)

MSG
wait "$web"
