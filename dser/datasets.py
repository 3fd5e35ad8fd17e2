"""How public emotion corpora name their emotions and files, mapped onto the six EMOTIONS.

The one place that knows each corpus's labels; the importers, the demo generator and the
stage-1 trainer all read file names through `parse_name`.

  CREMA-D    1001_DFA_ANG_XX.wav        ANG DIS FEA HAP NEU SAD -> all six
  RAVDESS    03-01-05-01-01-01-01.wav   01 neutral 03 happy 04 sad 05 angry 06 fearful 07 disgust;
                                        02 calm and 08 surprised are dropped (not among the six)
  JL-corpus  female1_angry_1a_1.wav     angry happy sad neutral; "excited" and the secondary
                                        emotions (anxious, apologetic, ...) are dropped
  MELD       a label word per CSV row   the six by name; "surprise" has no place (None)

The speaker is kept so validation can hold out whole speakers.
"""
import re
from dataclasses import dataclass
from pathlib import Path

from dser.emotions import EMOTIONS

CREMA_D_CODES = {"anger": "ANG", "disgust": "DIS", "fear": "FEA", "joy": "HAP", "neutral": "NEU", "sadness": "SAD"}
RAVDESS_CODES = {"01": "neutral", "03": "joy", "04": "sadness", "05": "anger", "06": "fear", "07": "disgust"}
JL_WORDS = {"angry": "anger", "happy": "joy", "sad": "sadness", "neutral": "neutral"}
# Label words of MELD and similar CSVs (and the emotion names themselves).
LABEL_WORDS = {
    **{emotion: emotion for emotion in EMOTIONS},
    "angry": "anger", "ang": "anger", "dis": "disgust", "fearful": "fear", "fea": "fear",
    "happy": "joy", "happiness": "joy", "hap": "joy", "neu": "neutral", "sad": "sadness",
}

_CREMA_D = re.compile(r"^(\d{4})_[A-Z0-9]+_(ANG|DIS|FEA|HAP|NEU|SAD)_[A-Z0-9]+$")
_RAVDESS = re.compile(r"^\d\d-\d\d-(\d\d)-\d\d-\d\d-\d\d-(\d\d)$")
_JL_CORPUS = re.compile(r"^((?:fe)?male\d+)_([a-z]+)_\w+$")
_CREMA_D_EMOTION = {code: emotion for emotion, code in CREMA_D_CODES.items()}


@dataclass(frozen=True)
class LabelledFile:
    path: Path
    emotion: str
    speaker: str  # "crema-d/1001": unique across corpora
    corpus: str


def to_emotion(label: str) -> str | None:
    """Map a dataset's label word onto one of EMOTIONS, or None if it has no place there."""
    return LABEL_WORDS.get(label.strip().lower())


def parse_name(path: Path) -> LabelledFile | None:
    """The emotion and speaker a file's name gives, or None if its naming is unknown or its
    emotion is not among the six."""
    path = Path(path)
    stem = path.stem
    if match := _CREMA_D.match(stem):
        return LabelledFile(path, _CREMA_D_EMOTION[match[2]], f"crema-d/{match[1]}", "crema-d")
    if match := _RAVDESS.match(stem):
        emotion = RAVDESS_CODES.get(match[1])
        return LabelledFile(path, emotion, f"ravdess/{match[2]}", "ravdess") if emotion else None
    if match := _JL_CORPUS.match(stem):
        emotion = JL_WORDS.get(match[2])
        return LabelledFile(path, emotion, f"jl/{match[1]}", "jl-corpus") if emotion else None
    return None


def crema_d_name(actor: int, sentence: str, emotion: str, level: str = "XX") -> str:
    """The CREMA-D file name (without suffix) of `actor` saying `sentence` in `emotion`."""
    return f"{actor}_{sentence}_{CREMA_D_CODES[emotion]}_{level}"
