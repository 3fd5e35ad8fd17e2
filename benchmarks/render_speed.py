"""Render throughput: avatar video frames per second, render + encode, one process, on CPU.

    .venv/bin/python benchmarks/render_speed.py [--seconds 10] [--size 256] [--repeats 3] [--msaa]

Speech is espeak-ng audio of a MELD line, padded to --seconds; the emotion timeline moves
through all six emotions. Prints where the time goes from the median run (phoneme analysis,
which a clip's five sequences share; animation; posing; rasterising; encoding), the cost per
clip-second, and the render + encode frames per second last.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dser.emotions import EMOTIONS, one_hot
from dser.timeline import Timeline, frame_count
from rendering.face import lipsync
from rendering.face.animation import animate
from rendering.face.avatar import load_avatar
from rendering.face.encode import encode_video
from rendering.face.options import RenderOptions
from rendering.face.render import FaceRenderer

FPS = RenderOptions.fps

LINE = "Or! Or, we could go to the bank, close our accounts and cut them off at the source."


def make_audio(path: Path, seconds: float) -> None:
    subprocess.run(["espeak-ng", "-w", str(path), LINE], check=True)
    samples, rate = soundfile.read(str(path), dtype="float32")
    reps = int(np.ceil(seconds * rate / len(samples)))
    soundfile.write(str(path), np.tile(samples, reps)[: int(seconds * rate)], rate)


def one_run(audio: Path, target: Path, size: int, msaa: bool) -> dict[str, float]:
    samples, rate = soundfile.read(str(audio), dtype="float32")
    duration = len(samples) / rate
    timeline = Timeline(np.linspace(0, duration, 6), [one_hot(e) for e in EMOTIONS])
    lipsync._cache.clear()  # a clip's first sequence pays for the phoneme analysis
    t0 = time.perf_counter()
    lipsync.mouth(samples, rate, FPS, frame_count(duration, FPS))
    t1 = time.perf_counter()
    animation = animate(samples, rate, timeline)
    t2 = time.perf_counter()
    avatar = load_avatar()
    for weights in animation.weights:  # posing alone, to split it from rasterising
        avatar.face.pose(weights)
    t3 = time.perf_counter()
    rendering = 0.0

    def frames():
        nonlocal rendering
        with FaceRenderer(avatar, size, msaa) as renderer:
            for weights, head in zip(animation.weights, animation.head):
                start = time.perf_counter()
                frame = renderer.render(weights, tuple(head))
                rendering += time.perf_counter() - start
                yield frame

    t4 = time.perf_counter()
    encode_video(frames(), animation.n_frames, (size, size), FPS, audio, target)
    video = time.perf_counter() - t4
    return {
        "phoneme analysis (once per clip)": t1 - t0, "animation (per sequence)": t2 - t1,
        "posing": t3 - t2, "rasterising": rendering - (t3 - t2), "encoding (not overlapped)": video - rendering,
        "video": video, "frames": animation.n_frames, "clip_seconds": duration,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", type=int, default=RenderOptions.size)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--msaa", action="store_true")
    args = parser.parse_args()
    load_avatar()  # decoding the avatar is a once-per-process cost, not per video
    with tempfile.TemporaryDirectory() as scratch:
        audio = Path(scratch) / "speech.wav"
        make_audio(audio, args.seconds)
        one_run(audio, Path(scratch) / "warmup.mp4", args.size, args.msaa)
        runs = [one_run(audio, Path(scratch) / f"run{i}.mp4", args.size, args.msaa) for i in range(args.repeats)]
    median = sorted(runs, key=lambda r: r["video"])[len(runs) // 2]
    print(f"{median['frames']} frames, {median['clip_seconds']:.1f} s of speech; median run:")
    for part in ("phoneme analysis (once per clip)", "animation (per sequence)", "posing", "rasterising",
                 "encoding (not overlapped)"):
        print(f"  {part:>34}: {median[part]:6.2f} s")
    per_sequence = median["video"] + median["animation (per sequence)"]
    print(f"cost per clip-second: {per_sequence / median['clip_seconds']:.3f} s per sequence, "
          f"+ {median['phoneme analysis (once per clip)'] / median['clip_seconds']:.3f} s once per clip")
    fps = statistics.median(r["frames"] / r["video"] for r in runs)
    print(f"render + encode, {args.size}x{args.size}{' MSAA' if args.msaa else ''}: {fps:.1f} frames/s (median of {args.repeats})")


if __name__ == "__main__":
    main()
