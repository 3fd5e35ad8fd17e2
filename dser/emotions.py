"""The six emotions, in the one order every model, timeline and file uses."""
import numpy as np

EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness")
EMOTION_INDEX = {name: i for i, name in enumerate(EMOTIONS)}
# One colour per emotion in every plot (training curves, timelines, the admin's sparklines).
EMOTION_COLOURS = {"anger": "#d62728", "disgust": "#8c564b", "fear": "#9467bd", "joy": "#ffbf00",
                   "neutral": "#9e9e9e", "sadness": "#1f77b4"}

SIMPLEX_TOLERANCE = 1e-4


def one_hot(emotion: str) -> np.ndarray:
    mixture = np.zeros(len(EMOTIONS))
    mixture[EMOTION_INDEX[emotion]] = 1.0
    return mixture


def check_mixtures(values: np.ndarray) -> None:
    """Raise ValueError unless every row of `values` (N, 6) lies on the simplex."""
    if values.ndim != 2 or values.shape[1] != len(EMOTIONS):
        raise ValueError(f"emotion mixtures must have shape (N, {len(EMOTIONS)}), got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("emotion mixtures contain NaN or infinite values")
    if np.any(values < -SIMPLEX_TOLERANCE):
        raise ValueError("emotion mixtures contain negative values")
    sums = values.sum(axis=1)
    if np.any(np.abs(sums - 1.0) > SIMPLEX_TOLERANCE):
        worst = sums[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(f"emotion mixtures must sum to 1 (one sums to {worst:.6f})")
