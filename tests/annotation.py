"""Comparisons ready to judge, made directly (no render pipeline), all showing one real
side-by-side avatar video (the `pair_video` fixture renders it once per test run)."""
import shutil
from pathlib import Path

import ffmpeg
from django.utils import timezone

from annotator.models import Judgment, Lease
from corpus.models import Clip
from dser.emotions import one_hot
from dser.timeline import Timeline
from rendering.models import Comparison, EmotionSequence, RenderBatch, Status
from tests.test_roles import make_user

def render_pair_video(speech: Path, target: Path) -> Path:
    """Joy on the left, sadness on the right, speaking `speech`: what annotators compare."""
    from rendering.face.video import RenderOptions, render_pair

    render_pair(speech, Timeline([0.0], [one_hot("joy")]), Timeline([0.0], [one_hot("sadness")]), target,
                RenderOptions(size=160))
    return target


def make_comparisons(video: Path, media_root: Path, count: int, overlap: int | None = None,
                     controls: int = 0) -> list[Comparison]:
    """`count` comparisons (the last `controls` of them controls, answer: left) in one batch."""
    (media_root / "comparisons").mkdir(parents=True, exist_ok=True)
    shutil.copy(video, media_root / "comparisons" / "pair.mp4")
    duration_s = float(ffmpeg.probe(str(video))["format"]["duration"])
    batch = RenderBatch.objects.create(checkpoint="ckpt", checkpoint_hash="h" * 64, overlap=overlap)
    made = []
    for i in range(count):
        clip = Clip.objects.create(dataset="study", key=f"dia{i}_utt0", source_path="-", duration_s=duration_s,
                                   transcript=f"Line number {i}.")
        joy, neutral = (EmotionSequence.objects.create(
            clip=clip, checkpoint="ckpt", checkpoint_hash="h" * 64, window_s=0.5 + k, stride_s=0.5,
            timeline=Timeline([0.0], [one_hot(emotion)]).to_json()) for k, emotion in enumerate(("joy", "neutral")))
        is_control = i >= count - controls
        made.append(Comparison.objects.create(
            clip=clip, left=joy, right=neutral, status=Status.DONE, file="comparisons/pair.mp4", duration_s=duration_s,
            is_control=is_control, control_answer="left" if is_control else ""))
    batch.comparisons.add(*made)
    return made


def annotators(*names: str):
    return [make_user(name, "annotators") for name in names]


def sequence(clip, window_s: float, emotion: str, kind="model") -> EmotionSequence:
    timeline = Timeline([0.0, clip.duration_s], [one_hot(emotion), one_hot(emotion)]).to_json()
    return EmotionSequence.objects.create(clip=clip, checkpoint="ckpt", checkpoint_hash="h" * 64, window_s=window_s,
                                          stride_s=0.5, timeline=timeline, kind=kind)


def vote(user, comparison, choice: str) -> None:
    lease = Lease.objects.create(comparison=comparison, annotator=user, expires_at=timezone.now())
    Judgment.objects.create(annotator=user, comparison=comparison, lease=lease, choice=choice, left=comparison.left,
                            right=comparison.right, response_ms=3000, time_ms=3000, watched_to_end=True)
