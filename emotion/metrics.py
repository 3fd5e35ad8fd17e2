"""The figures models are judged by: MAE between timelines, and classification scores."""
import numpy as np

from dser.emotions import EMOTIONS
from dser.timeline import Timeline, frame_times

MAE_RATE_HZ = 50.0  # the model's frame rate: timelines are compared frame by frame


def timeline_mae(predicted: Timeline, reference: Timeline, duration_s: float, rate: float = MAE_RATE_HZ,
                 span: tuple[float, float] | None = None) -> float:
    """Mean absolute difference of the two timelines at `rate` Hz over the clip, all emotions;
    with `span` (start_s, end_s), over the frames whose centres fall in it."""
    difference = np.abs(predicted.sample_at_rate(rate, duration_s, centred=True)
                        - reference.sample_at_rate(rate, duration_s, centred=True))
    if span is not None:
        times = frame_times(len(difference), rate, centred=True)
        difference = difference[(times >= span[0]) & (times < span[1])]
    return float(difference.mean())


def frame_labels(predicted: Timeline, reference: Timeline, duration_s: float,
                 rate: float = MAE_RATE_HZ) -> tuple[np.ndarray, np.ndarray]:
    """(true, predicted) top emotion of each frame, at `rate` Hz over the clip: a sequence
    model's per-frame classification, scored by `classification_scores` like an utterance's."""
    return (reference.sample_at_rate(rate, duration_s, centred=True).argmax(axis=1),
            predicted.sample_at_rate(rate, duration_s, centred=True).argmax(axis=1))


def classification_scores(labels, predictions) -> dict:
    """Accuracy (weighted accuracy, WA; for single-label classes also micro-F1), unweighted
    accuracy (UA, the mean of per-emotion recall), macro-F1, per-emotion recall and the
    confusion matrix (rows: truth, columns: prediction). UA and macro-F1 average over the
    emotions present (in the truth; for F1, in the truth or the predictions), as sklearn does,
    so a test set without disgust is not scored as if disgust were always missed."""
    confusion = np.zeros((len(EMOTIONS), len(EMOTIONS)), int)
    np.add.at(confusion, (np.asarray(labels, int), np.asarray(predictions, int)), 1)
    true_counts, predicted_counts, hits = confusion.sum(axis=1), confusion.sum(axis=0), np.diag(confusion)
    recall = {EMOTIONS[k]: float(hits[k] / true_counts[k]) for k in range(len(EMOTIONS)) if true_counts[k]}
    present = (true_counts + predicted_counts) > 0
    f1 = 2 * hits[present] / (true_counts[present] + predicted_counts[present])
    return {"accuracy": float(hits.sum() / max(1, confusion.sum())),
            "unweighted_accuracy": float(np.mean(list(recall.values()))) if recall else 0.0,
            "macro_f1": float(f1.mean()) if f1.size else 0.0, "recall": recall, "confusion": confusion.tolist()}
