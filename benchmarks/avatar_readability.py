"""Can an annotator tell the emotions apart? Pixel differences between the avatar's emotions.

    .venv/bin/python benchmarks/avatar_readability.py [--size N] [--stills DIR]

Renders each of the six emotions (a constant one-emotion timeline over 2 s of silence, the
middle frame, idle life from the same seed) and the 50/50 mixtures, at the default render
size. For every pair of emotions it measures the mean absolute grey-level difference (0-255)
inside the face region and, separately, inside the eye, brow and mouth regions (boxes around
the avatar's own landmarks, projected through the camera). A mixture is reported by its
distance to the nearer of its two parents. Prints the table, then the smallest pair last.

With --stills DIR (what `make stills` runs) it also writes the README's pictures: one PNG per
emotion, a neutral/joy/anger mixture, a blink, and a strip of frames from a dialogue clip.
"""
import argparse
import itertools
import random
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus.sources import demo, speech
from dser.emotions import EMOTIONS, one_hot
from dser.timeline import Timeline
from rendering.face.animation import animate
from rendering.face.arkit import INDEX
from rendering.face.avatar import load_avatar
from rendering.face.options import RenderOptions
from rendering.face.render import FaceRenderer

RATE = 16000
SECONDS = 2.0
REGIONS = ("face", "eyes", "brows", "mouth")
# This script's figures at commit 50e5b36 (flat colours, no eyeballs or brows), 256 px.
BEFORE = {"smallest": ("neutral", "sadness", 4.8), "median": 7.4}
STRIP_FRAMES = 6


def middle_frame(renderer: FaceRenderer, mixture: np.ndarray, blink: bool = False) -> np.ndarray:
    silence = np.zeros(int(SECONDS * RATE), np.float32)
    animation = animate(silence, RATE, Timeline([0.0], [mixture]))
    weights = animation.weights[animation.n_frames // 2].copy()
    if blink:
        weights[[INDEX["eyeBlinkLeft"], INDEX["eyeBlinkRight"]]] = 1.0
    return renderer.render(weights, tuple(animation.head[animation.n_frames // 2]))


def grey(frame: np.ndarray) -> np.ndarray:
    return frame.astype(np.float64) @ [0.299, 0.587, 0.114]


def dialogue_strip(renderer: FaceRenderer, seed: int = 7) -> np.ndarray:
    """Frames spread over one generated dialogue clip (a real MELD line, its emotion
    changing), each captioned with its time and the timeline's top emotion."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    row = next(r for r in demo.pick_meld_rows(demo.DEFAULT_SOURCE_CSV, 50, seed) if len(r.utterance.split()) >= 8)
    segments = speech.plan_segments(rng.choice(EMOTIONS), len(row.utterance.split()), rng)
    samples, rate, timeline, _ = speech.emotional_speech(row.utterance, segments, speech.VOICES[0], rng)
    animation = animate(samples, rate, timeline)
    tiles = []
    for frame in np.linspace(0, animation.n_frames - 1, STRIP_FRAMES + 2)[1:-1].astype(int):
        image = Image.fromarray(renderer.render(animation.weights[frame], tuple(animation.head[frame])))
        mixture = timeline.sample_at_rate(animation.fps, animation.n_frames / animation.fps)[frame]
        ImageDraw.Draw(image).text((4, 4), f"{frame / animation.fps:.1f} s {EMOTIONS[int(np.argmax(mixture))]}",
                                   fill=(40, 40, 40))
        tiles.append(np.asarray(image))
    return np.concatenate(tiles, axis=1)


def write_stills(renderer: FaceRenderer, frames: dict[str, np.ndarray], target: Path) -> None:
    from PIL import Image

    target.mkdir(parents=True, exist_ok=True)
    for emotion in EMOTIONS:
        Image.fromarray(frames[emotion]).save(target / f"{emotion}.png")
    mixture = (one_hot("neutral") + one_hot("joy") + one_hot("anger")) / 3
    Image.fromarray(middle_frame(renderer, mixture)).save(target / "mixture.png")
    Image.fromarray(middle_frame(renderer, one_hot("neutral"), blink=True)).save(target / "blink.png")
    Image.fromarray(dialogue_strip(renderer)).save(target / "dialogue.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=RenderOptions.size)
    parser.add_argument("--stills", type=Path, metavar="DIR", help="also write the README's stills here")
    args = parser.parse_args()
    with FaceRenderer(load_avatar(), args.size) as renderer:
        masks = renderer.region_masks()
        frames = {e: middle_frame(renderer, one_hot(e)) for e in EMOTIONS}
        mixed = {(a, b): grey(middle_frame(renderer, (one_hot(a) + one_hot(b)) / 2))
                 for a, b in itertools.combinations(EMOTIONS, 2)}
        if args.stills:
            write_stills(renderer, frames, args.stills)
    greys = {e: grey(frame) for e, frame in frames.items()}

    def difference(first: np.ndarray, second: np.ndarray, region: str) -> float:
        return float(np.abs(first - second)[masks[region]].mean())

    print(f"mean |grey difference| (0-255) at {args.size}x{args.size}, middle frame over silence")
    print(f"{'pair':>20} " + " ".join(f"{r:>6}" for r in REGIONS) + "  mixture to nearer parent (face)")
    face = {}
    for a, b in itertools.combinations(EMOTIONS, 2):
        row = [difference(greys[a], greys[b], region) for region in REGIONS]
        face[a, b] = row[0]
        to_parent = min(difference(mixed[a, b], greys[a], "face"), difference(mixed[a, b], greys[b], "face"))
        print(f"{a + '/' + b:>20} " + " ".join(f"{v:6.1f}" for v in row) + f"  {to_parent:6.1f}")
    smallest = min(face, key=face.get)
    first, second, before = BEFORE["smallest"]
    print(f"median pair: {statistics.median(face.values()):.1f} (before: {BEFORE['median']})")
    print(f"before (commit 50e5b36, 256 px): smallest pair {first}/{second} {before}")
    print(f"smallest pair, face region, {args.size} px: {smallest[0]}/{smallest[1]} {face[smallest]:.1f}")


if __name__ == "__main__":
    main()
