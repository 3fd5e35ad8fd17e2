"""A stage-1 (utterance) model run over sliding windows: audio -> emotion Timeline.

All windows of a clip have the same length, so they go through the model as one batch;
the last window, cut short by the clip's end, is zero-padded and its padding masked.
"""
import numpy as np
import torch

from dser.audio import SAMPLE_RATE
from dser.timeline import Timeline, frame_times
from dser.windows import WindowParams
from emotion.dirichlet import dirichlet_mean
from emotion.model import DSERModel


def window_batch(samples: np.ndarray, params: WindowParams) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """(N, window samples) audio, (N,) real lengths, (N,) centre times for every window."""
    duration = len(samples) / SAMPLE_RATE
    spans = params.spans(duration)
    width = min(len(samples), int(round(params.window_s * SAMPLE_RATE)))
    batch = np.zeros((len(spans), width), np.float32)
    lengths = np.zeros(len(spans), np.int64)
    for i, (start, end) in enumerate(spans):
        piece = samples[int(round(start * SAMPLE_RATE)): int(round(end * SAMPLE_RATE))][:width]
        batch[i, : len(piece)] = piece
        lengths[i] = len(piece)
    centres = np.array([(start + end) / 2 for start, end in spans])
    return torch.from_numpy(batch), torch.from_numpy(lengths), centres


@torch.no_grad()
def sliding_window_timeline(model: DSERModel, samples: np.ndarray, params: WindowParams,
                            max_batch: int = 256) -> Timeline:
    """The utterance model's prediction for every window, placed at the window centres."""
    if model.head_kind != "utterance":
        raise ValueError("sliding windows need an utterance (stage-1) model")
    audio, lengths, centres = window_batch(samples, params)
    means = torch.cat([model(audio[i: i + max_batch], lengths[i: i + max_batch]).mean
                       for i in range(0, len(audio), max_batch)])
    return Timeline(times=centres, values=_finite(means))


@torch.no_grad()
def sequence_timeline(model: DSERModel, samples: np.ndarray) -> Timeline:
    """A sequence (stage-2) model's per-frame prediction as a Timeline at frame centres."""
    if model.head_kind != "sequence":
        raise ValueError("needs a sequence (stage-2) model")
    means = dirichlet_mean(model.clip_alpha(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))))
    return Timeline(times=frame_times(len(means), model.frame_rate, centred=True), values=_finite(means))


def _finite(means: torch.Tensor) -> np.ndarray:
    """A model's mixtures as float64, or FloatingPointError if any is NaN or infinite."""
    if not torch.isfinite(means).all():
        raise FloatingPointError("the model produced NaN or infinite emotion values")
    return means.double().numpy()
