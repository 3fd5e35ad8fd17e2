#!/usr/bin/env bash
# Rebuilds the embedded default checkpoints (emotion/checkpoints/stage1, stage2) with the
# `small` recipe (train-ser / train-seq --preset small) on a generated training corpus, then
# evaluates them on held-out voices and other MELD lines (scripts/make_model_corpora.sh).
# `make checkpoints` runs it; about 20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
work=var/checkpoint-build
out=emotion/checkpoints
rm -rf "$work" && mkdir -p "$work"
scripts/make_model_corpora.sh "$work"

$PY -m training --quiet train-ser --preset small --data "$work/train/crema_d" --out "$out/stage1"
$PY -m training --quiet label-windows --checkpoint "$out/stage1" --audio "$work/train/dialogue_wav" --out "$work/targets.jsonl"
$PY -m training --quiet train-seq --preset small --targets "$work/targets.jsonl" --init "$out/stage1" --out "$out/stage2"
$PY -m training --quiet evaluate "$out/stage1" --data "$work/test/crema_d" --baseline "$work/train/crema_d" \
  --json "$out/evaluation_accuracy.json"
$PY -m training --quiet evaluate "$out/stage1" "$out/stage2" --reference "$work/test/reference.jsonl" \
  --json "$out/evaluation_mae.json"
