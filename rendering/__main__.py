"""Render talking-avatar videos from the command line.

    python -m rendering render AUDIO TIMELINE.json OUT.mp4
    python -m rendering pair AUDIO T1.json T2.json OUT.mp4
    python -m rendering render AUDIO TIMELINE.json OUT.mp4 --still stills/   # also one PNG per emotion
"""
import argparse
import sys
import time
from pathlib import Path

from rendering.face.animation import AnimationError
from rendering.face.avatar import AvatarError
from rendering.face.encode import EncodeError
from rendering.face.options import RenderOptions
from rendering.face.render import RenderError
from rendering.face.video import RenderInputError, load_timeline, render_pair, render_stills, render_video


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=RenderOptions.size,
                        help=f"frame width and height in pixels (default {RenderOptions.size})")
    parser.add_argument("--fps", type=float, default=RenderOptions.fps, help=f"frames per second (default {RenderOptions.fps:g})")
    parser.add_argument("--msaa", action="store_true", help="4x anti-aliasing (about twice as slow)")
    parser.add_argument("--avatar", type=Path, help="glTF head with ARKit blendshapes (default: Face Cap head)")
    parser.add_argument("--seed", type=int, default=0, help="seed of blinks and head sway")
    parser.add_argument("--still", type=Path, metavar="DIR", help="also write one PNG per emotion to DIR")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rendering", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="one video: AUDIO + TIMELINE.json -> OUT.mp4")
    render.add_argument("audio", type=Path)
    render.add_argument("timeline", type=Path)
    render.add_argument("out", type=Path)
    _options(render)
    pair = commands.add_parser("pair", help="side-by-side video of two timelines, labelled A and B")
    pair.add_argument("audio", type=Path)
    pair.add_argument("first", type=Path)
    pair.add_argument("second", type=Path)
    pair.add_argument("out", type=Path)
    _options(pair)
    args = parser.parse_args(argv)

    options = RenderOptions(size=args.size, fps=args.fps, msaa=args.msaa, avatar=args.avatar, seed=args.seed)
    started = time.perf_counter()
    try:
        if args.command == "render":
            animation = render_video(args.audio, load_timeline(args.timeline), args.out, options)
            print(f"wrote {args.out}: {animation.n_frames} frames in {time.perf_counter() - started:.1f} s")
        else:
            render_pair(args.audio, load_timeline(args.first), load_timeline(args.second), args.out, options)
            print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s")
        if args.still:
            for path in render_stills(args.audio, args.still, options):
                print(f"wrote {path}")
    except (RenderInputError, AnimationError, AvatarError, RenderError, EncodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
