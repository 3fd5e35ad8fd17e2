#!/usr/bin/env bash
# Rebuilds the embedded default checkpoints (training/checkpoints/stage1, stage2): small
# wav2vec2 models trained from scratch on the generated demo corpus, then evaluated on a
# second generated corpus (other sentences, dialogue lines and voices: none of its voices is
# heard in training). `make checkpoints` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
work=var/checkpoint-build
out=training/checkpoints
rm -rf "$work" && mkdir -p "$work"

$PY manage.py make_demo_corpus "$work/train" --clips 150 --voices 8 --sentences 8 --seed 0 --voice-set train
$PY manage.py make_demo_corpus "$work/test" --clips 30 --voices 8 --sentences 4 --seed 1 --voice-set held-out
$PY - "$work" <<'PY'
"""Dialogue clips -> 16 kHz WAV, and the test clips' true timelines -> reference JSONL."""
import json, sys
from pathlib import Path
from corpus.sources.demo import DemoCorpus
from corpus.sources.media import extract_wav
from dser.files import write_text_atomic
work = Path(sys.argv[1])
for part in ("train", "test"):
    corpus = DemoCorpus(work / part)
    for mp4 in sorted(corpus.meld_clips.glob("*.mp4")):
        extract_wav(mp4, work / part / "dialogue_wav" / f"{mp4.stem}.wav")
truth = json.loads(DemoCorpus(work / "test").timelines.read_text())
rows = [{"audio": f"dialogue_wav/{name}.wav", "timeline": {"times": entry["times"], "values": entry["values"]}}
        for name, entry in sorted(truth.items())]
write_text_atomic(work / "test" / "reference.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
PY

tiny="--backbone tiny --no-freeze-feature-encoder --batch-size 8"
$PY -m training --quiet train-ser --data "$work/train/crema_d" --out "$out/stage1" $tiny --epochs 24 --lr 1e-3 --lr-end 2e-4
$PY -m training --quiet label-windows --checkpoint "$out/stage1" --audio "$work/train/dialogue_wav" --out "$work/targets.jsonl"
$PY -m training --quiet train-seq --targets "$work/targets.jsonl" --init "$out/stage1" --out "$out/stage2" \
  --no-freeze-feature-encoder --batch-size 8 --epochs 16 --lr 5e-4 --lr-end 1e-4
$PY -m training --quiet evaluate "$out/stage1" --data "$work/test/crema_d" --json "$out/evaluation_accuracy.json"
$PY -m training --quiet evaluate "$out/stage1" "$out/stage2" --reference "$work/test/reference.jsonl" \
  --json "$out/evaluation_mae.json"
