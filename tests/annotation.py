"""Comparisons ready to judge, made directly (no render pipeline) with one small real video."""
import subprocess
from pathlib import Path

from corpus.models import Clip
from dser.emotions import one_hot
from dser.timeline import Timeline
from rendering.models import Comparison, EmotionSequence, RenderBatch, Status
from tests.test_roles import make_user

VIDEO_S = 1.2


def write_pair_video(path: Path) -> None:
    """A 1.2 s H.264 + AAC video, as the render pipeline makes them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size=128x64:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000", "-t", str(VIDEO_S), "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(path)], check=True)


def make_comparisons(media_root: Path, count: int, overlap: int | None = None, controls: int = 0) -> list[Comparison]:
    """`count` comparisons (the last `controls` of them controls, answer: left) in one batch."""
    write_pair_video(media_root / "comparisons" / "pair.mp4")
    batch = RenderBatch.objects.create(checkpoint="ckpt", checkpoint_hash="h" * 64, overlap=overlap)
    made = []
    for i in range(count):
        clip = Clip.objects.create(dataset="study", key=f"dia{i}_utt0", source_path="-", duration_s=VIDEO_S,
                                   transcript=f"Line number {i}.")
        joy, neutral = (EmotionSequence.objects.create(
            clip=clip, checkpoint="ckpt", checkpoint_hash="h" * 64, window_s=0.5 + k, stride_s=0.5,
            timeline=Timeline([0.0], [one_hot(emotion)]).to_json()) for k, emotion in enumerate(("joy", "neutral")))
        is_control = i >= count - controls
        made.append(Comparison.objects.create(
            clip=clip, left=joy, right=neutral, status=Status.DONE, file="comparisons/pair.mp4", duration_s=VIDEO_S,
            is_control=is_control, control_answer="left" if is_control else ""))
    batch.comparisons.add(*made)
    return made


def annotators(*names: str):
    return [make_user(name, "annotators") for name in names]
