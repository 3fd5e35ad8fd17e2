"""How a video is made: size, frame rate, anti-aliasing, head and idle-motion seed.

The one home of the render defaults: the settings (DSER_RENDER_SIZE, DSER_RENDER_FPS), the
CLI (`python -m rendering`) and the benchmarks read them from `RenderOptions`.
"""
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderOptions:
    size: int = 256  # pixels, square
    fps: float = 25.0  # video frames per second
    msaa: bool = False  # 4x multisampling: smoother edges, about twice the render time
    avatar: Path | None = None  # glTF head; None is the default Face Cap head
    seed: int = 0  # idle motion (blinks, sway): same seed, same idle life
