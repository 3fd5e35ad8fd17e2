"""Reading MELD's annotation CSVs (`*_sent_emo.csv`). Core (no Django).

The real files are UTF-8 with curly quotes, but other distributions carry Windows-1252
bytes, sometimes mixed into UTF-8 text: bytes that are not valid UTF-8 are decoded as
Windows-1252, one at a time, and counted so the importer can report them.
"""
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

COLUMNS = (
    "Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment",
    "Dialogue_ID", "Utterance_ID", "Season", "Episode", "StartTime", "EndTime",
)
# The real MELD CSVs shipped with the project (corpus/data/meld/README.md): the demo
# corpus and the tests take their rows from here.
MELD_DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "meld"
# Clip folders of the MELD archive, by split.
SPLIT_FOLDERS = {"train": "train_splits", "dev": "dev_splits_complete", "test": "output_repeated_splits_test"}

_UNDECODED = re.compile("[\udc80-\udcff]+")
_TIME = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*$")


class MeldFormatError(ValueError):
    pass


@dataclass(frozen=True)
class MeldRow:
    line: int  # 1-based line in the CSV, for error messages
    sr_no: int
    utterance: str
    speaker: str
    emotion: str
    sentiment: str
    dialogue_id: int
    utterance_id: int
    season: int
    episode: int
    start_s: float
    end_s: float

    @property
    def clip_name(self) -> str:
        return f"dia{self.dialogue_id}_utt{self.utterance_id}"


def parse_time(text: str) -> float:
    """'00:20:57,256' (or '0:20:57,256') -> 1257.256 seconds."""
    match = _TIME.match(text)
    if not match:
        raise MeldFormatError(f"not a MELD time (hh:mm:ss,ms): {text!r}")
    hours, minutes, seconds, millis = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000


def decode_text(data: bytes) -> tuple[str, int]:
    """Decode UTF-8 (with or without BOM); runs of bytes that are not UTF-8 are decoded
    as Windows-1252. Returns the text and how many such runs there were."""
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")

    def from_cp1252(match: re.Match) -> str:
        raw = bytes(ord(char) - 0xDC00 for char in match.group())
        return raw.decode("cp1252", errors="replace")

    return _UNDECODED.subn(from_cp1252, text)


def read_rows(path: Path) -> tuple[list[MeldRow], int]:
    """All rows of a MELD CSV, and the count of Windows-1252 bytes met.
    Raises MeldFormatError naming the line of the first row it cannot read."""
    text, fallbacks = decode_text(Path(path).read_bytes())
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MeldFormatError(f"{path} is not a MELD CSV: missing columns {', '.join(missing)}")
    rows = []
    for record in reader:
        line = reader.line_num
        try:
            rows.append(MeldRow(
                line=line,
                sr_no=int(record["Sr No."]),
                utterance=record["Utterance"].strip(),
                speaker=record["Speaker"].strip(),
                emotion=record["Emotion"].strip().lower(),
                sentiment=record["Sentiment"].strip().lower(),
                dialogue_id=int(record["Dialogue_ID"]),
                utterance_id=int(record["Utterance_ID"]),
                season=int(record["Season"]),
                episode=int(record["Episode"]),
                start_s=parse_time(record["StartTime"]),
                end_s=parse_time(record["EndTime"]),
            ))
        except (TypeError, ValueError) as exc:
            raise MeldFormatError(f"{path}, line {line}: {exc}") from None
    return rows, fallbacks


def split_from_csv_name(path: Path) -> str | None:
    """'train_sent_emo.csv' -> 'train'; None when the name does not say."""
    name = Path(path).name
    return name.removesuffix("_sent_emo.csv") if name.endswith("_sent_emo.csv") else None
