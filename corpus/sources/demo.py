"""A small, fully generated corpus for demos and tests. Core (no Django).

`python manage.py make_demo_corpus OUT` writes:
  OUT/meld/dev_sent_emo.csv            real MELD rows (corpus/data/meld), unchanged
  OUT/meld/dev_splits_complete/*.mp4   dia{D}_utt{U}.mp4: espeak-ng speech of each row's line,
                                       first half in one emotion's prosody, second half in another
  OUT/meld/timelines.json              each clip's true emotion timeline (Timeline JSON)
  OUT/crema_d/*.wav                    single-emotion utterances in CREMA-D naming
                                       ({actor}_{sentence}_{ANG|DIS|FEA|HAP|NEU|SAD}_XX.wav),
                                       one espeak voice per actor, 16 kHz mono

Emotion is carried by prosody alone (pitch, rate, loudness), as espeak-ng allows.
Everything is seeded: the same arguments give the same corpus.
"""
import csv
import io
import json
import random
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from corpus.sources import meld
from dser.audio import SAMPLE_RATE
from dser.datasets import crema_d_name, to_emotion
from dser.emotions import EMOTIONS, one_hot
from dser.files import atomic_path, write_text_atomic
from dser.timeline import Timeline

DEFAULT_SOURCE_CSV = meld.MELD_DATA_DIR / "dev_sent_emo.csv"


@dataclass(frozen=True)
class Prosody:
    pitch: int  # espeak-ng -p, 0-99 (50 is the voice's normal)
    speed: int  # -s, words per minute
    amplitude: int  # -a, 0-200 (100 is normal)


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
VOICES = ("en-us+m1", "en-us+f2", "en+m3", "en+f4", "en-us+m5", "en+f1", "en-gb+m7", "en-us+f5")
TRANSITION_S = 0.15  # half-width of the cross-fade between the two emotions of a clip


@dataclass(frozen=True)
class DemoCorpus:
    """Where the parts of a demo corpus lie below its root."""

    root: Path

    @property
    def meld_csv(self) -> Path:
        return self.root / "meld" / "dev_sent_emo.csv"

    @property
    def meld_clips(self) -> Path:
        return self.root / "meld" / meld.SPLIT_FOLDERS["dev"]

    @property
    def timelines(self) -> Path:
        return self.root / "meld" / "timelines.json"

    @property
    def crema_d(self) -> Path:
        return self.root / "crema_d"


def speak(text: str, emotion: str, voice: str) -> tuple[np.ndarray, int]:
    """espeak-ng speech of `text` in `emotion`'s prosody: (mono float32 samples, rate)."""
    prosody = PROSODY[emotion]
    with tempfile.NamedTemporaryFile(suffix=".wav") as wav:
        subprocess.run(
            ["espeak-ng", "-v", voice, "-p", str(prosody.pitch), "-s", str(prosody.speed),
             "-a", str(prosody.amplitude), "-w", wav.name, "--", text],
            check=True, capture_output=True,
        )
        samples, rate = soundfile.read(wav.name, dtype="float32")
    return samples, rate


def two_emotion_speech(text: str, first: str, second: str, voice: str) -> tuple[np.ndarray, int, Timeline]:
    """Speak the first half of `text`'s words in `first`, the rest in `second`; return the
    audio and its true timeline (a short cross-fade where the emotion changes)."""
    words = text.split()
    middle = len(words) // 2
    head, rate = speak(" ".join(words[:middle]), first, voice)
    tail, _ = speak(" ".join(words[middle:]), second, voice)
    samples = np.concatenate([head, tail])
    change_s, total_s = len(head) / rate, len(samples) / rate
    fade = min(TRANSITION_S, change_s / 2, (total_s - change_s) / 2)
    times = [0.0, change_s - fade, change_s + fade, total_s]
    values = [one_hot(first), one_hot(first), one_hot(second), one_hot(second)]
    return samples, rate, Timeline(times=times, values=values)


def encode_mp4(samples: np.ndarray, rate: int, target: Path) -> None:
    """A plain-coloured H.264 video with the speech as AAC, like a MELD clip."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as wav, atomic_path(target) as partial:
        soundfile.write(wav.name, samples, rate)
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x2b3a4a:s=160x120:r=25",
             "-i", wav.name, "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "64k", str(partial)],
            check=True, capture_output=True,
        )


def pick_meld_rows(source_csv: Path, n_clips: int, seed: int) -> list[meld.MeldRow]:
    """Real rows with one of the six emotions and enough words to split in two."""
    rows, _ = meld.read_rows(source_csv)
    usable = [r for r in rows if to_emotion(r.emotion) and len(r.utterance.split()) >= 6]
    return sorted(random.Random(seed).sample(usable, min(n_clips, len(usable))), key=lambda r: r.sr_no)


def write_meld_part(corpus: DemoCorpus, source_csv: Path, n_clips: int, seed: int, jobs: int) -> None:
    clips_dir = corpus.meld_clips
    rows = pick_meld_rows(source_csv, n_clips, seed)
    rng = random.Random(seed)
    plans = []
    for row in rows:
        first = to_emotion(row.emotion)
        second = rng.choice([e for e in EMOTIONS if e != first])
        voice = VOICES[sum(map(ord, row.speaker)) % len(VOICES)]  # one voice per speaker
        plans.append((row, first, second, voice))

    def make(plan) -> tuple[str, dict]:
        row, first, second, voice = plan
        samples, rate, timeline = two_emotion_speech(row.utterance, first, second, voice)
        encode_mp4(samples, rate, clips_dir / f"{row.clip_name}.mp4")
        return row.clip_name, {"emotions": [first, second], "voice": voice, **timeline.to_json()}

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        timelines = dict(pool.map(make, plans))
    write_meld_csv(source_csv, {row.sr_no for row in rows}, corpus.meld_csv)
    write_text_atomic(corpus.timelines, json.dumps(timelines, indent=1))


def write_meld_csv(source_csv: Path, sr_numbers: set[int], target: Path) -> None:
    """Copy the chosen rows of the real CSV verbatim (same columns, quoting and times)."""
    text, _ = meld.decode_text(source_csv.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    with atomic_path(target) as partial, partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(r for r in reader if r and int(r[0]) in sr_numbers)


def write_crema_part(corpus: DemoCorpus, source_csv: Path, n_voices: int, n_sentences: int, seed: int, jobs: int) -> None:
    out = corpus.crema_d
    rows, _ = meld.read_rows(source_csv)
    short = [r.utterance for r in rows if 3 <= len(r.utterance.split()) <= 8]
    sentences = random.Random(seed + 1).sample(short, n_sentences)
    jobs_list = [
        (1001 + actor, f"S{index:02d}", sentence, emotion, VOICES[actor % len(VOICES)])
        for actor in range(n_voices) for index, sentence in enumerate(sentences) for emotion in EMOTIONS
    ]

    def make(job) -> None:
        actor, code, sentence, emotion, voice = job
        samples, rate = speak(sentence, emotion, voice)
        samples = soxr.resample(samples, rate, SAMPLE_RATE)
        with atomic_path(out / f"{crema_d_name(actor, code, emotion)}.wav") as partial:
            soundfile.write(partial, samples, SAMPLE_RATE, subtype="PCM_16")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(make, jobs_list))


def make_demo_corpus(
    root: Path, n_clips: int = 24, n_voices: int = 6, n_sentences: int = 4, seed: int = 0,
    source_csv: Path = DEFAULT_SOURCE_CSV, jobs: int = 2,
) -> DemoCorpus:
    if not source_csv.is_file():
        raise FileNotFoundError(f"MELD annotation CSV not found: {source_csv} (the real rows come from there)")
    corpus = DemoCorpus(Path(root))
    write_meld_part(corpus, source_csv, n_clips, seed, jobs)
    write_crema_part(corpus, source_csv, n_voices, n_sentences, seed, jobs)
    return corpus
