"""Evaluation: accuracy of utterance models on labelled utterances; MAE of sequence models
and of utterance models' sliding windows against reference timelines, side by side."""
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dser.audio import SAMPLE_RATE, load_audio
from dser.records import ReferenceRow, read_jsonl
from dser.timeline import Timeline
from dser.windows import STAGE2_TARGET_PARAMS, WindowParams
from emotion.baseline import Baseline
from emotion.checkpoint import load_checkpoint
from emotion.data import find_utterances, label_index
from emotion.inference import sequence_timeline, sliding_window_timeline
from emotion.metrics import classification_scores, timeline_mae
from emotion.stage1 import evaluate_utterances


def predict_timeline(model, samples: np.ndarray, params: WindowParams = STAGE2_TARGET_PARAMS) -> Timeline:
    """A sequence model's own timeline, or an utterance model's over sliding windows."""
    if model.head_kind == "sequence":
        return sequence_timeline(model, samples)
    return sliding_window_timeline(model, samples, params)


def labelled_audio(folders: list[Path], progress: bool = True) -> tuple[list, list[int]]:
    utterances, _ = find_utterances(folders)
    if not utterances:
        raise ValueError(f"no labelled utterances below {', '.join(map(str, folders))}")
    audio = [load_audio(u.path) for u in tqdm(utterances, desc="load audio", disable=not progress)]
    return audio, [label_index(u.emotion) for u in utterances]


def accuracy_rows(checkpoints: list[Path], data: list[Path], progress: bool = True,
                  baseline_data: list[Path] | None = None) -> list[dict]:
    """One row per checkpoint, and with `baseline_data` one for the classical baseline
    trained there (emotion.baseline), all on the utterances below `data`."""
    audio, labels = labelled_audio(data, progress)
    rows = []
    for checkpoint in checkpoints:
        model, metadata = load_checkpoint(checkpoint)
        if model.head_kind != "utterance":
            raise ValueError(f"{checkpoint} is a sequence model; accuracy needs an utterance model")
        scores = evaluate_utterances(model, audio, labels)
        rows.append({"checkpoint": str(checkpoint), "stage": metadata.stage, "method": "utterance",
                     "accuracy": scores["accuracy"], "n": len(labels), "recall": scores["recall"]})
    if baseline_data:
        baseline = Baseline.fit(*labelled_audio(baseline_data, progress))
        scores = classification_scores(labels, baseline.predict(audio))
        rows.append({"checkpoint": "MFCC+pitch+energy, logistic regression", "stage": 0, "method": "baseline",
                     "accuracy": scores["accuracy"], "n": len(labels), "recall": scores["recall"],
                     "trained_on": [str(d) for d in baseline_data]})
    return rows


def mae_rows(checkpoints: list[Path], reference: Path, params: WindowParams = STAGE2_TARGET_PARAMS,
             progress: bool = True) -> list[dict]:
    rows = read_jsonl(reference, ReferenceRow)
    clips = [(load_audio(Path(r.audio)), r.timeline)
             for r in tqdm(rows, desc="load audio", disable=not progress)]
    results = []
    for checkpoint in checkpoints:
        model, metadata = load_checkpoint(checkpoint)
        errors = [timeline_mae(predict_timeline(model, samples, params), truth, len(samples) / SAMPLE_RATE)
                  for samples, truth in clips]
        method = "sequence" if model.head_kind == "sequence" else \
            f"sliding window {params.window_s:g}/{params.stride_s:g} s"
        results.append({"checkpoint": str(checkpoint), "stage": metadata.stage, "method": method,
                        "mae": float(np.mean(errors)), "n": len(clips)})
    return results


def format_table(rows: list[dict], metric: str) -> str:
    width = max(len(r["checkpoint"]) for r in rows)
    lines = [f"{'checkpoint':<{width}}  stage  {'method':<26}  {metric:>8}  {'n':>5}"]
    lines += [f"{r['checkpoint']:<{width}}  {r['stage']:>5}  {r['method']:<26}  {r[metric]:>8.4f}  {r['n']:>5}"
              for r in rows]
    return "\n".join(lines)
