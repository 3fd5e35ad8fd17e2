"""Where media files live: every name below MEDIA_ROOT, one function each. Names are storage
names (relative to MEDIA_ROOT, forward slashes), so media can move to shared storage by
settings alone; `media_path` turns one into a local path for the cores that write files.

    clips/<dataset>/<key>.wav                 a clip's 16 kHz audio (corpus)
    renders/<clip>/sequence-<sequence>.mp4    a sequence's avatar video (rendering)
    renders/<clip>/mouth-<fps>fps.npz         a clip's phoneme analysis, shared by its videos
    comparisons/<clip>/comparison-<id>.mp4    a side-by-side pair (rendering)
    exports/<id>/                             a preference export: triplets, audio, manifest
    runs/<id>/                                a DPO run: checkpoint, log, curves
    study/                                    the latest whole-loop study's report and plots,
                                              and status.json while one runs (--status)
"""
from pathlib import Path

from django.core.files.storage import default_storage

CLIPS, RENDERS, COMPARISONS, EXPORTS, RUNS, STUDY = "clips", "renders", "comparisons", "exports", "runs", "study"
STUDY_STATUS = f"{STUDY}/status.json"
# Folders where workers write videos (the reconciler clears their dead workers' partial files).
VIDEO_FOLDERS = (RENDERS, COMPARISONS)
# What the admin pages play (the media route serves admins these and nothing else): exports
# and run artefacts are the ML engineers', through the training pages.
ADMIN_FOLDERS = (CLIPS, RENDERS, COMPARISONS)


def in_folders(name: str, folders: tuple[str, ...]) -> bool:
    """Whether storage name `name` lies inside one of `folders` (no '..' tricks)."""
    parts = name.split("/")
    return len(parts) > 1 and parts[0] in folders and ".." not in parts and "" not in parts[1:]


def clip_audio(dataset: str, key: str) -> str:
    return f"{CLIPS}/{dataset}/{key}.wav"


def sequence_video(clip_id: int, sequence_id: int) -> str:
    return f"{RENDERS}/{clip_id}/sequence-{sequence_id}.mp4"


def clip_mouth(clip_id: int, fps: float) -> str:
    return f"{RENDERS}/{clip_id}/mouth-{fps:g}fps.npz"


def comparison_video(clip_id: int, comparison_id: int) -> str:
    return f"{COMPARISONS}/{clip_id}/comparison-{comparison_id}.mp4"


def export_dir(export_id: int) -> str:
    return f"{EXPORTS}/{export_id}"


def run_dir(run_id: int) -> str:
    return f"{RUNS}/{run_id}"


def media_path(name: str) -> Path:
    """The local file of storage name `name`, for the cores that read and write files."""
    return Path(default_storage.path(name))
