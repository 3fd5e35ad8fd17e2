"""Audio extraction from any media file ffmpeg reads: 16 kHz mono 16-bit WAV.

Core (no Django). Every way a file can be unusable raises MediaError with a short `kind`
(one of FAILURE_KINDS, stored on the failed clip and counted) and a sentence a person can
act on.
"""
import subprocess
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import soundfile

from dser.audio import SAMPLE_RATE
from dser.files import atomic_path

MIN_DURATION_S = 0.25
DECODE_TIMEOUT_S = 600  # a clip is seconds long; a decode this slow is a broken file


# Why a media file cannot become a clip; the kind is stored with the failed clip.
FAILURE_KINDS = ("missing", "corrupt", "no_audio", "too_short")


class MediaError(Exception):
    def __init__(self, kind: str, detail: str):
        assert kind in FAILURE_KINDS, kind
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class ExtractedAudio:
    path: Path
    duration_s: float


def _ffmpeg_reason(stderr: bytes | None, source: Path) -> str:
    """ffmpeg's own words, without the file path it repeats and without duplicates."""
    lines = []
    for line in (stderr or b"").decode("utf-8", "replace").splitlines():
        line = line.replace(f"{source}: ", "").strip()
        if line and line not in lines:
            lines.append(line)
    return "; ".join(lines[-3:]) or "ffmpeg gave no reason"


def probe_audio_stream(source: Path) -> None:
    """Raise MediaError unless `source` exists, parses, and has an audio stream."""
    if not source.is_file():
        raise MediaError("missing", f"no file at {source}")
    try:
        info = ffmpeg.probe(str(source))
    except ffmpeg.Error as exc:
        raise MediaError("corrupt", f"ffprobe cannot read {source.name}: {_ffmpeg_reason(exc.stderr, source)}") from None
    if not any(stream.get("codec_type") == "audio" for stream in info.get("streams", [])):
        raise MediaError("no_audio", f"{source.name} has no audio stream")


def extract_wav(source: Path, target: Path, min_duration_s: float = MIN_DURATION_S) -> ExtractedAudio:
    """Decode `source`'s first audio stream to a 16 kHz mono WAV at `target`.

    The WAV is written under a temporary name and renamed, so `target` is either complete
    or absent. A clip shorter than `min_duration_s` is refused (no WAV is left behind).
    """
    probe_audio_stream(source)
    with atomic_path(target) as partial:
        command = (
            ffmpeg.input(str(source))
            .output(str(partial), format="wav", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE, map="0:a:0")
            .global_args("-nostdin", "-v", "error")
            .overwrite_output()
            .compile()
        )
        try:
            result = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise MediaError("corrupt", f"ffmpeg took over {DECODE_TIMEOUT_S} s to decode {source.name}") from None
        if result.returncode != 0:
            raise MediaError("corrupt", f"ffmpeg cannot decode {source.name}: {_ffmpeg_reason(result.stderr, source)}")
        duration_s = soundfile.info(str(partial)).duration
        if duration_s < min_duration_s:
            raise MediaError("too_short", f"{duration_s:.2f} s of audio, shorter than the {min_duration_s} s minimum")
    return ExtractedAudio(path=target, duration_s=duration_s)
