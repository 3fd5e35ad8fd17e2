"""Evaluation: accuracy of utterance models on labelled utterances; MAE of sequence models
and of utterance models' sliding windows against reference timelines, side by side."""
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dser.audio import SAMPLE_RATE, load_audio
from dser.emotions import EMOTIONS
from dser.records import ReferenceRow, read_jsonl
from dser.timeline import Timeline
from dser.windows import STAGE2_TARGET_PARAMS, WindowParams
from emotion.baseline import Baseline
from emotion.checkpoint import load_checkpoint
from emotion.data import find_utterances, label_index
from emotion.inference import sequence_timeline, sliding_window_timeline
from emotion.metrics import classification_scores, frame_labels, timeline_mae
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
    trained there (emotion.baseline), all on the utterances below `data`: the scores of
    `classification_scores` (accuracy, UA, macro-F1, recall, confusion)."""
    audio, labels = labelled_audio(data, progress)
    rows = []
    for checkpoint in checkpoints:
        model, metadata = load_checkpoint(checkpoint)
        if model.head_kind != "utterance":
            raise ValueError(f"{checkpoint} is a sequence model; accuracy needs an utterance model")
        rows.append({"checkpoint": str(checkpoint), "stage": metadata.stage, "method": "utterance", "n": len(labels),
                     **evaluate_utterances(model, audio, labels)})
    if baseline_data:
        baseline = Baseline.fit(*labelled_audio(baseline_data, progress))
        rows.append({"checkpoint": "MFCC+pitch+energy, logistic regression", "stage": 0, "method": "baseline",
                     "n": len(labels), **classification_scores(labels, baseline.predict(audio)),
                     "trained_on": [str(d) for d in baseline_data]})
    return rows


def mae_rows(checkpoints: list[Path], reference: Path, params: WindowParams = STAGE2_TARGET_PARAMS,
             progress: bool = True) -> list[dict]:
    """One row per checkpoint: MAE to the reference timelines (mean over clips), and each
    frame's top emotion scored as a classification (`frame_accuracy`, `frame_macro_f1`, with
    recall and confusion over all the clips' frames)."""
    rows = read_jsonl(reference, ReferenceRow)
    clips = [(load_audio(Path(r.audio)), r.timeline)
             for r in tqdm(rows, desc="load audio", disable=not progress)]
    results = []
    for checkpoint in checkpoints:
        model, metadata = load_checkpoint(checkpoint)
        errors, truths, guesses = [], [], []
        for samples, truth in clips:
            predicted, duration = predict_timeline(model, samples, params), len(samples) / SAMPLE_RATE
            errors.append(timeline_mae(predicted, truth, duration))
            true_top, predicted_top = frame_labels(predicted, truth, duration)
            truths.append(true_top)
            guesses.append(predicted_top)
        frames = classification_scores(np.concatenate(truths), np.concatenate(guesses))
        method = "sequence" if model.head_kind == "sequence" else \
            f"sliding window {params.window_s:g}/{params.stride_s:g} s"
        results.append({"checkpoint": str(checkpoint), "stage": metadata.stage, "method": method,
                        "mae": float(np.mean(errors)), "n": len(clips), "frame_accuracy": frames["accuracy"],
                        "frame_macro_f1": frames["macro_f1"], "recall": frames["recall"],
                        "confusion": frames["confusion"]})
    return results


ACCURACY_COLUMNS = ("accuracy", "unweighted_accuracy", "macro_f1")
MAE_COLUMNS = ("mae", "frame_accuracy", "frame_macro_f1")
HEADERS = {"accuracy": "accuracy", "unweighted_accuracy": "UA", "macro_f1": "macro-F1", "mae": "mae",
           "frame_accuracy": "frame acc", "frame_macro_f1": "frame F1"}


def format_table(rows: list[dict], columns: tuple[str, ...]) -> str:
    """The rows' figures, then each row's recall per emotion (of frames, for MAE rows)."""
    width = max(len(r["checkpoint"]) for r in rows)
    figures = "  ".join(f"{HEADERS[c]:>9}" for c in columns)
    lines = [f"{'checkpoint':<{width}}  stage  {'method':<26}  {figures}  {'n':>5}"]
    lines += [f"{r['checkpoint']:<{width}}  {r['stage']:>5}  {r['method']:<26}  "
              + "  ".join(f"{r[c]:>9.4f}" for c in columns) + f"  {r['n']:>5}" for r in rows]
    lines += ["", f"{'recall':<{width}}  " + "  ".join(f"{e[:7]:>7}" for e in EMOTIONS)]
    lines += [f"{r['checkpoint']:<{width}}  " + "  ".join(f"{r['recall'][e]:>7.3f}" if e in r["recall"] else f"{'-':>7}"
                                                         for e in EMOTIONS) for r in rows]
    return "\n".join(lines)
