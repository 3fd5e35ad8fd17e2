"""Audio data for training: labelled-utterance corpora, loading, augmentation, batching.

Stage-1 corpora are recognised by their file naming and mapped onto the six emotions:

  CREMA-D    1001_DFA_ANG_XX.wav        ANG DIS FEA HAP NEU SAD -> all six
  RAVDESS    03-01-05-01-01-01-01.wav   01 neutral 03 happy 04 sad 05 angry 06 fearful 07 disgust;
                                        02 calm and 08 surprised are dropped (not among the six)
  JL-corpus  female1_angry_1a_1.wav     angry happy sad neutral; "excited" and the secondary
                                        emotions (anxious, apologetic, ...) are dropped

The speaker (actor) is kept so validation can hold out whole speakers.
"""
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr
import torch

from dser.emotions import EMOTION_INDEX
from training.model import SAMPLE_RATE

CREMA_D = re.compile(r"^(\d{4})_[A-Z0-9]+_(ANG|DIS|FEA|HAP|NEU|SAD)_[A-Z0-9]+$")
RAVDESS = re.compile(r"^\d\d-\d\d-(\d\d)-\d\d-\d\d-\d\d-(\d\d)$")
JL_CORPUS = re.compile(r"^((?:fe)?male\d+)_([a-z]+)_\w+$")
CREMA_D_LABELS = {"ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "joy", "NEU": "neutral", "SAD": "sadness"}
RAVDESS_LABELS = {"01": "neutral", "03": "joy", "04": "sadness", "05": "anger", "06": "fear", "07": "disgust"}
JL_LABELS = {"angry": "anger", "happy": "joy", "sad": "sadness", "neutral": "neutral"}
AUDIO_SUFFIXES = {".wav", ".flac"}


@dataclass(frozen=True)
class Utterance:
    path: Path
    emotion: str
    speaker: str
    corpus: str


def parse_name(path: Path) -> Utterance | None:
    """The utterance a file name describes, or None if its naming is unknown or its emotion dropped."""
    stem = path.stem
    if match := CREMA_D.match(stem):
        return Utterance(path, CREMA_D_LABELS[match[2]], f"crema-d/{match[1]}", "crema-d")
    if match := RAVDESS.match(stem):
        emotion = RAVDESS_LABELS.get(match[1])
        return Utterance(path, emotion, f"ravdess/{match[2]}", "ravdess") if emotion else None
    if match := JL_CORPUS.match(stem):
        emotion = JL_LABELS.get(match[2])
        return Utterance(path, emotion, f"jl/{match[1]}", "jl-corpus") if emotion else None
    return None


def find_utterances(folders: list[Path]) -> tuple[list[Utterance], int]:
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


def split_by_speaker(utterances: list[Utterance], val_fraction: float, seed: int = 0) -> tuple[list, list]:
    """Hold out whole speakers (about `val_fraction` of them) for validation."""
    speakers = sorted({u.speaker for u in utterances})
    random.Random(seed).shuffle(speakers)
    n_val = max(1, round(len(speakers) * val_fraction)) if len(speakers) > 1 else 0
    held_out = set(speakers[:n_val])
    return [u for u in utterances if u.speaker not in held_out], [u for u in utterances if u.speaker in held_out]


def load_audio(path: Path) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    samples = samples.mean(axis=1)
    if rate != SAMPLE_RATE:
        samples = soxr.resample(samples, rate, SAMPLE_RATE).astype(np.float32)
    return samples


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
