"""The JSONL files that pass between the parts: one typed row per line, one definition each.

    triplets.jsonl   TripletRow    preference pairs: written by the export (and the study's
                                   held-out yardstick), read by DPO (train-dpo)
    reference.jsonl  ReferenceRow  audio with its true timeline: written by the demo corpus,
                                   read by `evaluate --reference`
    targets.jsonl    ReferenceRow  audio with a stage-1 model's timeline: written by
                                   label-windows, read by train-seq

`audio` is a path relative to the file's folder (an absolute path also works); `read_jsonl`
resolves it. A row that is not JSON, lacks a key or holds a bad timeline is a ValueError that
names the file and the line.
"""
import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import ClassVar

from dser.files import write_text_atomic
from dser.timeline import Timeline

TRIPLETS_FILE = "triplets.jsonl"  # an export's triplets, beside its audio/ and manifest.json


@dataclass(frozen=True)
class ReferenceRow:
    audio: str
    timeline: Timeline
    duration: float | None = None  # seconds (label-windows writes it)
    params: dict | None = None  # {"window_s", "stride_s"} of the windows that made a target
    checkpoint: str | None = None  # the model that made a target

    REQUIRED: ClassVar[tuple[str, ...]] = ("audio", "timeline")
    TIMELINES: ClassVar[tuple[str, ...]] = ("timeline",)


@dataclass(frozen=True)
class TripletRow:
    clip: str | int  # the clip's id (held-out DPO pairs are split by it)
    audio: str
    chosen: Timeline
    rejected: Timeline
    duration_s: float | None = None
    chosen_params: dict | None = None  # what made each sequence: {"window_s", "stride_s"} or a policy's {"draw", ...}
    rejected_params: dict | None = None
    votes: dict | None = None  # {"chosen", "rejected", "tie", "both_poor"} behind the pair
    spans: list | None = None  # [[start_s, end_s], ...] the preference is about (segment votes); none: all frames

    REQUIRED: ClassVar[tuple[str, ...]] = ("audio", "chosen", "rejected")
    TIMELINES: ClassVar[tuple[str, ...]] = ("chosen", "rejected")


Row = ReferenceRow | TripletRow


def row_to_json(row: Row) -> dict:
    """The row as its JSON object: timelines in their JSON form, unset optional keys left out."""
    data = {}
    for field in fields(row):
        value = getattr(row, field.name)
        if value is not None:
            data[field.name] = value.to_json() if field.name in row.TIMELINES else value
    return data


def row_from_json(row_type: type[Row], data: object, where: str) -> Row:
    """The typed row of one parsed line; ValueError naming `where` if it is not one."""
    if not isinstance(data, dict) or any(key not in data for key in row_type.REQUIRED):
        raise ValueError(f"{where}: needs {', '.join(repr(k) for k in row_type.REQUIRED)}")
    known = {field.name for field in fields(row_type)}
    values = {key: value for key, value in data.items() if key in known}
    if "clip" in known:
        values.setdefault("clip", data["audio"])  # a hand-made file may leave it out
    for name in row_type.TIMELINES:
        try:
            values[name] = Timeline.from_json(data[name])
        except ValueError as exc:
            raise ValueError(f"{where}: the {name} timeline: {exc}") from None
    return row_type(**values)


def read_jsonl(path: Path, row_type: type[Row]) -> list[Row]:
    """Every row of `path`, its audio path resolved against the file's folder."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{row_type.__name__} file not found: {path}")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}, line {number}: not JSON ({exc.msg})") from None
        row = row_from_json(row_type, data, f"{path}, line {number}")
        rows.append(replace(row, audio=str((path.parent / row.audio).resolve())))
    return rows


def jsonl_text(rows: list[Row]) -> str:
    """One sorted-key JSON object per line: the same rows give the same bytes."""
    return "".join(json.dumps(row_to_json(row), sort_keys=True) + "\n" for row in rows)


def write_jsonl(path: Path, rows: list[Row]) -> str:
    """Write `rows` atomically; returns the text written (for a checksum)."""
    text = jsonl_text(rows)
    write_text_atomic(path, text)
    return text
