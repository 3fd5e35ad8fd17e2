"""Audio + emotion timeline -> talking-avatar MP4; two of those -> a side-by-side pair.

The one entry point the CLI and the Celery tasks call. Core (no Django).
"""
import tempfile
from pathlib import Path

import numpy as np

from dser.audio import SAMPLE_RATE, AudioError, load_audio
from dser.emotions import EMOTIONS, one_hot
from dser.files import atomic_path
from dser.timeline import Timeline, frame_count
from rendering.face.animation import Animation, animate
from rendering.face.avatar import load_avatar
from rendering.face.encode import compose_pair, encode_video
from rendering.face.lipsync import JAW, Mouth, mouth
from rendering.face.options import RenderOptions
from rendering.face.render import FaceRenderer


class RenderInputError(ValueError):
    pass


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate, or RenderInputError saying why not."""
    try:
        return load_audio(path), SAMPLE_RATE
    except AudioError as exc:
        raise RenderInputError(str(exc)) from None


def load_timeline(path: Path) -> Timeline:
    try:
        return Timeline.load(path)
    except FileNotFoundError:
        raise RenderInputError(f"timeline file not found: {path}") from None
    except ValueError as exc:  # also json.JSONDecodeError
        raise RenderInputError(f"bad timeline {Path(path).name}: {exc}") from None


def render_frames(animation: Animation, options: RenderOptions):
    """Yield the animation's frames; the OpenGL context lives as long as the generator."""
    with FaceRenderer(load_avatar(options.avatar), options.size, options.msaa) as renderer:
        for weights, head in zip(animation.weights, animation.head):
            yield renderer.render(weights, tuple(head))


def analyse_speech(audio: Path, fps: float) -> Mouth:
    """The mouth of `audio` (phoneme analysis), to share between the videos of one clip."""
    samples, rate = read_audio(audio)
    return mouth(samples, rate, fps, frame_count(len(samples) / rate, fps))


def render_video(audio: Path, timeline: Timeline, target: Path, options: RenderOptions = RenderOptions(),
                 speech: Mouth | None = None) -> Animation:
    """Render the avatar speaking `audio` with the emotion of `timeline` to `target` (MP4).
    `speech`: the clip's analysed mouth (analyse_speech), if the caller keeps one."""
    samples, rate = read_audio(audio)
    try:
        animation = animate(samples, rate, timeline, options.fps, options.seed, speech)
    except ValueError as exc:
        raise RenderInputError(str(exc)) from None
    load_avatar(options.avatar)  # fail on a bad avatar before ffmpeg starts
    encode_video(render_frames(animation, options), animation.n_frames, (options.size, options.size),
                 options.fps, Path(audio), Path(target))
    return animation


def render_pair(audio: Path, first: Timeline, second: Timeline, target: Path,
                options: RenderOptions = RenderOptions(), labels: tuple[str, str] = ("A", "B")) -> None:
    """Both sequences rendered with the same idle life, then composed side by side."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pair-") as scratch:
        left, right = Path(scratch) / "left.mp4", Path(scratch) / "right.mp4"
        render_video(audio, first, left, options)
        render_video(audio, second, right, options)
        compose_pair(left, right, target, labels)


def render_stills(audio: Path, target_dir: Path, options: RenderOptions = RenderOptions()) -> list[Path]:
    """One PNG per emotion, at a mid-speech frame of `audio` (jaw about a quarter open, so
    the mouth corners show the emotion)."""
    from PIL import Image

    samples, rate = read_audio(audio)
    target_dir = Path(target_dir)
    paths = []
    with FaceRenderer(load_avatar(options.avatar), options.size, options.msaa) as renderer:
        for emotion in EMOTIONS:
            animation = animate(samples, rate, Timeline([0.0], [one_hot(emotion)]), options.fps, options.seed)
            frame = int(np.argmin(np.abs(animation.weights[:, JAW] - 0.25)))
            path = target_dir / f"{emotion}.png"
            with atomic_path(path) as partial:
                Image.fromarray(renderer.render(animation.weights[frame], (0.0, 0.0, 0.0))).save(partial)
            paths.append(path)
    return paths
