"""The audio every part exchanges: mono float32 at 16 kHz, the rate wav2vec2 was trained at.

Clips are stored at this rate (corpus), models read it (training), and the renderer reads
the same files. Reading goes through soundfile + soxr (torchaudio's I/O is not usable here).
"""
from pathlib import Path

import numpy as np
import soundfile
import soxr

SAMPLE_RATE = 16_000


class AudioError(ValueError):
    """An audio file that is missing or cannot be decoded; the message names the file."""


def load_audio(path: str | Path, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 samples at `rate` Hz (channels averaged, resampled when needed)."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    try:
        samples, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"cannot read audio {path.name}: {exc}") from None
    samples = samples.mean(axis=1)
    if file_rate != rate:
        samples = soxr.resample(samples, file_rate, rate).astype(np.float32)
    return samples
