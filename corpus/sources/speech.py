"""Emotional speech from espeak-ng: the voices, each emotion's prosody, seeded variation
around it, and utterances whose emotion changes at known times. Core (no Django).

Emotion is carried by prosody alone (pitch, rate, loudness), as espeak-ng allows. A model
must generalise over what varies: 144 voices (6 English accents x 24 voice variants), each
utterance's pitch, rate and loudness jittered around its emotion's centre, emotions of
varying intensity (blended with neutral), one to three changes per dialogue clip.
"""
import random
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
import soundfile

from dser.emotions import EMOTIONS, one_hot
from dser.timeline import Timeline

ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-029")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "adam", "andy", "annie", "aunty",
            "belinda", "benjamin", "david", "edward", "john", "linda", "max", "paul")
VOICES = tuple(f"{accent}+{variant}" for accent in ACCENTS for variant in VARIANTS)
HELD_OUT_SHARE = 1 / 6  # voices kept for evaluation only (split_voices)
ANNOTATION_SHARE = 1 / 6  # voices only the annotated (stage-3) clips use: a domain stages 1 and 2 never heard
TRANSITION_S = 0.15  # half-width of the cross-fade where the emotion changes
MIN_WORDS = 2  # words per stretch of one emotion


@dataclass(frozen=True)
class Prosody:
    pitch: float  # espeak-ng -p, 0-99 (50 is the voice's normal)
    speed: float  # -s, words per minute
    amplitude: float  # -a, 0-200 (100 is normal)

    def toward(self, other: "Prosody", weight: float) -> "Prosody":
        return Prosody(*(a + weight * (b - a) for a, b in zip(asdict(self).values(), asdict(other).values())))

    def varied(self, rng: random.Random) -> "Prosody":
        """This prosody as one speaker says it once: pitch +-8, rate and loudness +-12-15%."""
        return Prosody(pitch=min(99.0, max(0.0, self.pitch + rng.uniform(-8, 8))),
                       speed=self.speed * rng.uniform(0.88, 1.12), amplitude=self.amplitude * rng.uniform(0.85, 1.15))


# Roughly what acted emotional speech does to prosody: anger and joy loud and fast,
# fear high and fast, sadness low, slow and quiet, disgust low and slow.
PROSODY = {
    "anger": Prosody(pitch=38, speed=200, amplitude=190),
    "disgust": Prosody(pitch=22, speed=125, amplitude=120),
    "fear": Prosody(pitch=80, speed=210, amplitude=85),
    "joy": Prosody(pitch=72, speed=185, amplitude=150),
    "neutral": Prosody(pitch=50, speed=160, amplitude=100),
    "sadness": Prosody(pitch=18, speed=110, amplitude=60),
}


@dataclass(frozen=True)
class Segment:
    """A stretch of speech in one emotion at an intensity (0: neutral, 1: full)."""
    emotion: str
    intensity: float = 1.0

    @property
    def mixture(self) -> np.ndarray:
        return self.intensity * one_hot(self.emotion) + (1 - self.intensity) * one_hot("neutral")

    def prosody(self, rng: random.Random) -> Prosody:
        return PROSODY["neutral"].toward(PROSODY[self.emotion], self.intensity).varied(rng)


class VoiceSplit(NamedTuple):
    train: tuple[str, ...]  # stages 1 and 2
    annotation: tuple[str, ...]  # the clips annotators judge (stage 3), as the paper's MELD is new to its model
    held_out: tuple[str, ...]  # evaluation only


def split_voices(seed: int = 0) -> VoiceSplit:
    """Three disjoint voice sets, the same for the same seed."""
    voices = list(VOICES)
    random.Random(seed).shuffle(voices)
    held_out = round(len(voices) * HELD_OUT_SHARE)
    annotation = held_out + round(len(voices) * ANNOTATION_SHARE)
    return VoiceSplit(*(tuple(sorted(part)) for part in (voices[annotation:], voices[held_out:annotation],
                                                         voices[:held_out])))


def speak(text: str, voice: str, prosody: Prosody) -> tuple[np.ndarray, int]:
    """espeak-ng speech of `text`: (mono float32 samples, rate)."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as wav:
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(round(prosody.pitch)), "-s", str(round(prosody.speed)),
                        "-a", str(round(prosody.amplitude)), "-w", wav.name, "--", text],
                       check=True, capture_output=True)
        samples, rate = soundfile.read(wav.name, dtype="float32")
    return samples, rate


def plan_segments(first: str, n_words: int, rng: random.Random) -> list[Segment]:
    """One to three changes of emotion (as many as the words allow), each new emotion unlike
    the one before, intensities between 0.6 and 1."""
    changes = min(rng.randint(1, 3), n_words // MIN_WORDS - 1)
    emotions = [first]
    for _ in range(changes):
        emotions.append(rng.choice([e for e in EMOTIONS if e != emotions[-1]]))
    return [Segment(e, 1.0 if e == "neutral" else round(rng.uniform(0.6, 1.0), 3)) for e in emotions]


def split_words(words: list[str], parts: int, rng: random.Random) -> list[list[str]]:
    """`words` in `parts` contiguous runs of at least MIN_WORDS, the other words spread at random."""
    sizes = [MIN_WORDS] * parts
    for _ in range(len(words) - MIN_WORDS * parts):
        sizes[rng.randrange(parts)] += 1
    ends = np.cumsum(sizes)
    return [words[end - size:end] for size, end in zip(sizes, ends)]


def emotional_speech(text: str, segments: list[Segment], voice: str, rng: random.Random
                     ) -> tuple[np.ndarray, int, Timeline, list[dict]]:
    """Speak `text` with its words split across `segments`; return the audio, its true
    timeline (short cross-fades where the emotion changes) and the prosody each part got."""
    pieces, prosodies, rate = [], [], 16000
    for segment, words in zip(segments, split_words(text.split(), len(segments), rng)):
        prosody = segment.prosody(rng)
        samples, rate = speak(" ".join(words), voice, prosody)
        pieces.append(samples)
        prosodies.append({"emotion": segment.emotion, "intensity": segment.intensity, **asdict(prosody)})
    bounds = np.cumsum([0] + [len(p) for p in pieces]) / rate  # (parts + 1,) seconds
    times, values = [0.0], [segments[0].mixture]
    for i, change in enumerate(bounds[1:-1]):
        fade = min(TRANSITION_S, (change - bounds[i]) / 2, (bounds[i + 2] - change) / 2)
        times += [change - fade, change + fade]
        values += [segments[i].mixture, segments[i + 1].mixture]
    times.append(bounds[-1])
    values.append(segments[-1].mixture)
    return np.concatenate(pieces), rate, Timeline(times, values), prosodies
