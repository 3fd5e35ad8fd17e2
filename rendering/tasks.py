"""Celery tasks of render jobs: each takes an item's id and hands rendering.jobs.run_claimed
the work: a core call (emotion for sequences, rendering.face for videos) whose result becomes
the item's fields. Claiming, heartbeats, retries and what comes next are the job records'."""
import functools
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings

from dser import media
from dser.audio import load_audio
from dser.timeline import Timeline
from dser.windows import WindowParams, clip_seed
from emotion.candidates import candidate_timelines
from emotion.checkpoint import CheckpointError, checkpoint_hash, load_checkpoint
from emotion.dpo import trained_likelihood
from emotion.inference import sliding_window_timeline
from emotion.model import DSERModel
from rendering import jobs, scheduling
from rendering import reconcile as reconciler
from rendering.face.encode import compose_pair
from rendering.face.lipsync import Mouth
from rendering.face.options import RenderOptions
from rendering.face.video import analyse_speech, render_video
from rendering.models import BatchClip, Comparison, Render, RenderBatch


@functools.lru_cache(maxsize=2)
def batch_model(checkpoint: str, expected_hash: str) -> tuple[DSERModel, str]:
    """The model and the likelihood it was trained on, loaded once per worker process; refused
    if the files changed since the batch was scheduled (its sequences would not be the model
    the batch names)."""
    if checkpoint_hash(Path(checkpoint)) != expected_hash:
        raise CheckpointError(f"{checkpoint} changed since the batch was scheduled (hash differs)")
    model, metadata = load_checkpoint(Path(checkpoint))
    return model, trained_likelihood(metadata)


def clip_timelines(batch: RenderBatch, samples, sources: list[dict]) -> list[Timeline]:
    """The timeline of each of `sources` (scheduling.clip_sources): the stage-1 model over its
    windows, or the policy's candidates."""
    model, likelihood = batch_model(batch.checkpoint, batch.checkpoint_hash)
    if batch.source == RenderBatch.Source.POLICY:
        return candidate_timelines(model, samples, len(sources), sources[0]["draw_seed"], batch.temperature, likelihood)
    return [sliding_window_timeline(model, samples, WindowParams(**source)) for source in sources]


@shared_task(name=BatchClip.task_name)
def generate_sequences(batch_clip_id: int) -> None:
    """A clip's sequences: the stage-1 model over each of its drawn (window, stride) pairs, or
    a policy's candidates."""
    def work(item: BatchClip, token) -> None:
        item = BatchClip.objects.select_related("batch", "clip").get(pk=item.pk)
        samples = load_audio(media.media_path(item.clip.audio.name))
        sources = scheduling.clip_sources(item.batch, item.clip)
        started = time.perf_counter()
        timelines = clip_timelines(item.batch, samples, sources)
        jobs.finish(BatchClip, item.pk, token, then=lambda: scheduling.add_sequences(item, sources, timelines),
                    inference_seconds=time.perf_counter() - started)

    jobs.run_claimed(BatchClip, batch_clip_id, work)


def render_options(clip) -> RenderOptions:
    """The settings' video format; idle life seeded by the clip, so its videos differ by emotion alone."""
    return RenderOptions(size=settings.RENDER_SIZE, fps=settings.RENDER_FPS, msaa=settings.RENDER_MSAA,
                         avatar=Path(settings.AVATAR_PATH) if settings.AVATAR_PATH else None,
                         seed=clip_seed(clip.key) % 2**32)


def clip_speech(clip, audio: Path, fps: float) -> Mouth:
    """The clip's phoneme analysis, made once and kept beside its videos for the others."""
    path = media.media_path(media.clip_mouth(clip.pk, fps))
    if path.is_file():
        return Mouth.load(path)
    speech = analyse_speech(audio, fps)
    speech.save(path)
    return speech


@shared_task(name=Render.task_name)
def render_sequence(render_id: int) -> None:
    """The avatar video of one sequence."""
    def work(render: Render, token) -> dict:
        clip = render.sequence.clip
        name = media.sequence_video(clip.pk, render.sequence_id)
        audio = media.media_path(clip.audio.name)
        options = render_options(clip)
        started = time.perf_counter()
        animation = render_video(audio, render.sequence.get_timeline(), media.media_path(name), options,
                                 clip_speech(clip, audio, options.fps))
        return {"file": name, "mouth_source": animation.mouth_source, "duration_s": animation.n_frames / animation.fps,
                "render_seconds": time.perf_counter() - started}

    jobs.run_claimed(Render, render_id, work)


@shared_task(name=Comparison.task_name)
def render_comparison(comparison_id: int) -> None:
    """The side-by-side video of a pair, from the two sequences' videos, labelled A (left) and B."""
    def work(comparison: Comparison, token) -> dict:
        name = media.comparison_video(comparison.clip_id, comparison.pk)
        left, right = (media.media_path(side.render.file.name) for side in (comparison.left, comparison.right))
        started = time.perf_counter()
        compose_pair(left, right, media.media_path(name))
        return {"file": name, "duration_s": comparison.left.render.duration_s,
                "render_seconds": time.perf_counter() - started}

    jobs.run_claimed(Comparison, comparison_id, work)


@shared_task(name="rendering.tasks.reconcile")
def reconcile() -> dict:
    """Periodic (Celery beat): re-enqueue what waited too long; finish batches."""
    return reconciler.reconcile()
