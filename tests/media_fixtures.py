"""Broken media of the kinds real corpora contain, made with ffmpeg for the tests."""
import subprocess
from pathlib import Path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def write_video_without_audio(target: Path, seconds: float = 1.0) -> None:
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x48:r=25", "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", str(target))


def write_tone_mp4(target: Path, seconds: float) -> None:
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x48:r=25", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000",
           "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(target))


def truncate(path: Path, fraction: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
