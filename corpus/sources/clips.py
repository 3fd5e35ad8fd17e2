"""What an import brings in: one ClipSource per clip of a MELD CSV or of an audio folder.
Core (no Django); corpus.services turns sources into Clip rows."""
from dataclasses import dataclass, field
from pathlib import Path

from corpus.sources import meld
from dser.datasets import parse_name

AUDIO_EXTENSIONS = {".wav", ".flac", ".mp3", ".mp4", ".m4a", ".ogg"}


@dataclass(frozen=True)
class ClipSource:
    key: str
    path: Path
    fields: dict = field(default_factory=dict)  # other Clip fields: split, speaker, label, ...


def meld_sources(csv_path: Path, clips_dir: Path, split: str, limit: int | None = None) -> tuple[list[ClipSource], list[str]]:
    """One ClipSource per CSV row (first `limit` rows), and notes on what looked odd."""
    rows, cp1252_runs = meld.read_rows(csv_path)
    notes = []
    if cp1252_runs:
        notes.append(f"{cp1252_runs} non-UTF-8 byte sequence(s) in {csv_path.name} read as Windows-1252")
    sources, seen = [], set()
    for row in rows[:limit] if limit else rows:
        if row.clip_name in seen:
            notes.append(f"line {row.line}: {row.clip_name} appears twice in the CSV; the first row is used")
            continue
        seen.add(row.clip_name)
        sources.append(ClipSource(
            key=f"{split}/{row.clip_name}",
            path=clips_dir / f"{row.clip_name}.mp4",
            fields=dict(
                split=split, dialogue_id=row.dialogue_id, utterance_id=row.utterance_id,
                speaker=row.speaker, transcript=row.utterance, label=row.emotion,
                metadata=dict(sr_no=row.sr_no, sentiment=row.sentiment, season=row.season,
                              episode=row.episode, start_s=row.start_s, end_s=row.end_s),
            ),
        ))
    if not limit:
        on_disk = {p.stem for p in clips_dir.glob("*.mp4")}
        orphans = len(on_disk - seen)
        if orphans:
            notes.append(f"{orphans} file(s) in {clips_dir} have no CSV row and were not imported")
    return sources, notes


def folder_sources(folder: Path) -> list[ClipSource]:
    """Every audio or video file below `folder`, keyed by its relative path; files named in
    a known corpus's scheme carry their emotion label and speaker."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
    return [ClipSource(key=p.relative_to(folder).as_posix(), path=p, fields=_labels_from_name(p)) for p in files]


def _labels_from_name(path: Path) -> dict:
    """Emotion label and speaker from CREMA-D, RAVDESS or JL-corpus file naming, if any."""
    labelled = parse_name(path)
    return {"label": labelled.emotion, "speaker": labelled.speaker} if labelled else {}
