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


def classification_scores(labels: list[int], predictions) -> dict:
    """Accuracy, per-emotion recall and the confusion matrix (rows: truth, columns: prediction)."""
    confusion = np.zeros((len(EMOTIONS), len(EMOTIONS)), int)
    for truth, guess in zip(labels, predictions):
        confusion[truth, guess] += 1
    recall = {EMOTIONS[k]: float(confusion[k, k] / confusion[k].sum()) for k in range(len(EMOTIONS)) if confusion[k].sum()}
    return {"accuracy": float(np.trace(confusion) / max(1, len(labels))), "recall": recall,
            "confusion": confusion.tolist()}
