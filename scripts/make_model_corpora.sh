#!/usr/bin/env bash
# The generated corpora the embedded models are trained and judged on (one definition, used
# by build_default_checkpoints.sh and benchmarks/model_quality.py):
#   WORK/train  the 96 training voices x 3 sentences x 6 emotions; 1000 dialogue clips (MELD test lines)
#   WORK/test   the 24 held-out voices x 2 sentences x 6 emotions; 60 dialogue clips (MELD dev
#               lines), none of whose voices any training step hears
# (The 24 annotation voices of corpus/sources/speech.py are the study's stage-3 clips'.)
# Usage: scripts/make_model_corpora.sh WORK [--quick]   (--quick: toy sizes, for smoke runs)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$1
meld=corpus/data/meld  # real MELD rows (annotations only)
if [ "${2:-}" = "--quick" ]; then train=(--clips 12 --voices 6 --sentences 1); test=(--clips 6 --voices 3 --sentences 1)
else train=(--clips 1000 --voices 96 --sentences 3); test=(--clips 60 --voices 24 --sentences 2); fi
PY=${PYTHON:-.venv/bin/python}  # the interpreter to run: callers in Python pass their own
export DEBUG=${DEBUG:-1}  # a local generator: no deployment's SECRET_KEY needed
make_corpus() { "$PY" manage.py make_demo_corpus "$@" --with-wav -v 0; }
make_corpus "$work/train" "${train[@]}" --seed 0 --voice-set train --source-csv "$meld/test_sent_emo.csv"
make_corpus "$work/test" "${test[@]}" --seed 1 --voice-set held-out --source-csv "$meld/dev_sent_emo.csv"
