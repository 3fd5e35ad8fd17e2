"""Audio data for training: labelled-utterance corpora, augmentation, batching.

Stage-1 corpora are recognised by their file naming (dser.datasets: CREMA-D, RAVDESS,
JL-corpus), so whole speakers can be held out for validation.
"""
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dser.audio import SAMPLE_RATE
from dser.datasets import LabelledFile, parse_name
from dser.emotions import EMOTION_INDEX

AUDIO_SUFFIXES = {".wav", ".flac"}


def find_utterances(folders: list[Path]) -> tuple[list[LabelledFile], int]:
    """Every labelled utterance below `folders`, and how many audio files were skipped."""
    found, skipped = [], 0
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() in AUDIO_SUFFIXES:
                utterance = parse_name(path)
                if utterance:
                    found.append(utterance)
                else:
                    skipped += 1
    return found, skipped


def split_by_speaker(utterances: list[LabelledFile], val_fraction: float, seed: int = 0) -> tuple[list, list]:
    """Hold out whole speakers (about `val_fraction` of them) for validation."""
    speakers = sorted({u.speaker for u in utterances})
    random.Random(seed).shuffle(speakers)
    n_val = max(1, round(len(speakers) * val_fraction)) if len(speakers) > 1 else 0
    held_out = set(speakers[:n_val])
    return [u for u in utterances if u.speaker not in held_out], [u for u in utterances if u.speaker in held_out]


@dataclass
class Augment:
    """Training-time changes that keep the emotion: a random crop to at most `crop_s`, a
    shift of up to `shift_s` (zero-filled), and white noise at `snr_db` (a random pick)."""
    crop_s: float = 3.0
    shift_s: float = 0.2
    snr_db: tuple[float, float] = (15.0, 40.0)
    noise_probability: float = 0.5

    def __call__(self, samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        longest = int(self.crop_s * SAMPLE_RATE)
        if len(samples) > longest:
            start = rng.integers(0, len(samples) - longest + 1)
            samples = samples[start: start + longest]
        shift = int(rng.uniform(-self.shift_s, self.shift_s) * SAMPLE_RATE)
        if shift:
            shifted = np.zeros_like(samples)
            if shift > 0:
                shifted[shift:] = samples[:-shift]
            else:
                shifted[:shift] = samples[-shift:]
            samples = shifted
        if rng.random() < self.noise_probability:
            power = np.mean(samples ** 2) + 1e-10
            snr = rng.uniform(*self.snr_db)
            samples = samples + rng.normal(0, np.sqrt(power / 10 ** (snr / 10)), size=samples.shape).astype(np.float32)
        return samples


def pad_batch(clips: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad clips to the longest: (B, S) audio and (B,) lengths."""
    lengths = torch.tensor([len(c) for c in clips])
    audio = torch.zeros(len(clips), int(lengths.max()))
    for i, clip in enumerate(clips):
        audio[i, : len(clip)] = torch.from_numpy(clip)
    return audio, lengths


def label_index(emotion: str) -> int:
    return EMOTION_INDEX[emotion]
