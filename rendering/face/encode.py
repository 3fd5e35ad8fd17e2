"""Video encoding with ffmpeg: raw RGB frames piped in, H.264 (yuv420p) + AAC out.

Files are written under a temporary name (dser.files.atomic_path) and renamed when ffmpeg
has exited cleanly, so a target path either holds a complete video or nothing.
"""
import subprocess
from collections.abc import Iterable
from pathlib import Path

import ffmpeg
import numpy as np

from dser.files import atomic_path

LABEL_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class EncodeError(RuntimeError):
    pass


def _stderr_tail(stderr: bytes) -> str:
    return " ".join(stderr.decode("utf-8", "replace").split()[-40:]) or "no message"


def encode_video(frames: Iterable[np.ndarray], n_frames: int, size: tuple[int, int], fps: float,
                 audio: Path, target: Path, crf: int = 23) -> None:
    """Write `n_frames` RGB frames of `size` (width, height) with `audio` muxed in. The audio
    is padded or cut to the video's length, so both streams last n_frames / fps seconds."""
    width, height = size
    duration = n_frames / fps
    with atomic_path(target) as partial:
        video_in = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}", r=fps)
        audio_in = ffmpeg.input(str(audio)).audio.filter("apad")
        process = (
            ffmpeg.output(video_in, audio_in, str(partial), vcodec="libx264", pix_fmt="yuv420p", preset="veryfast",
                          crf=crf, acodec="aac", audio_bitrate="96k", t=f"{duration:.6f}", movflags="+faststart",
                          format="mp4")
            .global_args("-nostdin", "-v", "error")
            .overwrite_output()
            .run_async(pipe_stdin=True, pipe_stderr=True)
        )
        try:
            written = 0
            for frame in frames:
                if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                    raise EncodeError(f"frame {written} is {frame.shape} {frame.dtype}, expected ({height}, {width}, 3) uint8")
                process.stdin.write(frame.tobytes())
                written += 1
            process.stdin.close()
            stderr = process.stderr.read()
            if process.wait() != 0:
                raise EncodeError(f"ffmpeg failed to encode {target.name}: {_stderr_tail(stderr)}")
            if written != n_frames:
                raise EncodeError(f"expected {n_frames} frames, got {written}")
        except BaseException:
            process.kill()
            process.wait()
            raise


def compose_pair(left: Path, right: Path, target: Path, labels: tuple[str, str] = ("A", "B")) -> None:
    """Side by side: `left` and `right` stacked horizontally with small labels in their
    top-left corners; the audio of `left` (both carry the same speech)."""
    def labelled(stream, text):
        return stream.drawtext(text=text, fontfile=str(LABEL_FONT), fontsize="h/12", fontcolor="white",
                               box=1, boxcolor="black@0.55", boxborderw=6, x="h/40", y="h/40")

    with atomic_path(target) as partial:
        first, second = ffmpeg.input(str(left)), ffmpeg.input(str(right))
        video = ffmpeg.filter([labelled(first.video, labels[0]), labelled(second.video, labels[1])], "hstack")
        command = (
            ffmpeg.output(video, first.audio, str(partial), vcodec="libx264", pix_fmt="yuv420p", preset="veryfast",
                          acodec="copy", movflags="+faststart", format="mp4")
            .global_args("-nostdin", "-v", "error")
            .overwrite_output()
            .compile()
        )
        result = subprocess.run(command, capture_output=True)
        if result.returncode != 0:
            raise EncodeError(f"ffmpeg failed to compose {target.name}: {_stderr_tail(result.stderr)}")
