"""Celery tasks of render jobs: each takes an item's id, claims the row, calls a core
(training.ml for sequences, rendering.face for videos), and records the outcome through
rendering.services, which enqueues the next step after commit."""
import functools
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q

from dser.audio import load_audio
from dser.windows import clip_seed
from rendering import services
from rendering.face.encode import compose_pair
from rendering.face.lipsync import Mouth
from rendering.face.video import RenderOptions, analyse_speech, render_video
from rendering.models import BatchClip, Comparison, Render, Status
from training.ml.checkpoint import CheckpointError, checkpoint_hash, load_checkpoint
from training.ml.windows import sliding_window_timeline


@functools.lru_cache(maxsize=2)
def stage1_model(checkpoint: str, expected_hash: str):
    """The model, loaded once per worker process; refused if the files changed since the
    batch was scheduled (its sequences would not be the model the batch names)."""
    if checkpoint_hash(Path(checkpoint)) != expected_hash:
        raise CheckpointError(f"{checkpoint} changed since the batch was scheduled (hash differs)")
    model, _ = load_checkpoint(Path(checkpoint))
    return model


@shared_task(name="rendering.tasks.generate_sequences")
def generate_sequences(batch_clip_id: int) -> None:
    """A clip's sequences: the stage-1 model over each of its drawn (window, stride) pairs."""
    token = services.claim(BatchClip, batch_clip_id)
    if token is None:
        return
    item = BatchClip.objects.select_related("batch", "clip").get(pk=batch_clip_id)
    try:
        model = stage1_model(item.batch.checkpoint, item.batch.checkpoint_hash)
        samples = load_audio(default_storage.path(item.clip.audio.name))
        params = services.clip_params(item.batch, item.clip)
        started = time.perf_counter()
        timelines = [sliding_window_timeline(model, samples, p) for p in params]
    except Exception as error:  # recorded with its reason; retried unless it cannot help
        services.record_failure(BatchClip, item.pk, token, error)
        return
    services.record_sequences(item, token, params, timelines, time.perf_counter() - started)


def render_options(clip) -> RenderOptions:
    """The settings' video format; idle life seeded by the clip, so its videos differ by emotion alone."""
    return RenderOptions(size=settings.RENDER_SIZE, fps=settings.RENDER_FPS, msaa=settings.RENDER_MSAA,
                         avatar=Path(settings.AVATAR_PATH) if settings.AVATAR_PATH else None,
                         seed=clip_seed(clip.key) % 2**32)


def clip_speech(clip, audio: Path, fps: float) -> Mouth:
    """The clip's phoneme analysis, made once and kept beside its videos for the others."""
    path = Path(default_storage.path(f"renders/{clip.pk}/mouth-{fps:g}fps.npz"))
    if path.is_file():
        return Mouth.load(path)
    speech = analyse_speech(audio, fps)
    speech.save(path)
    return speech


@shared_task(name="rendering.tasks.render_sequence")
def render_sequence(render_id: int) -> None:
    """The avatar video of one sequence."""
    token = services.claim(Render, render_id)
    if token is None:
        return
    render = Render.objects.select_related("sequence__clip").get(pk=render_id)
    clip = render.sequence.clip
    name = f"renders/{clip.pk}/sequence-{render.sequence_id}.mp4"
    started = time.perf_counter()
    try:
        audio = Path(default_storage.path(clip.audio.name))
        options = render_options(clip)
        animation = render_video(audio, render.sequence.get_timeline(), Path(default_storage.path(name)), options,
                                 clip_speech(clip, audio, options.fps), progress=lambda _: Render.beat(render.pk, token))
    except Exception as error:
        services.record_failure(Render, render.pk, token, error)
        return
    if Render.settle(render.pk, token, status=Status.DONE, error="", file=name, mouth_source=animation.mouth_source,
                     duration_s=animation.n_frames / animation.fps, render_seconds=time.perf_counter() - started):
        services.enqueue_ready_comparisons(Comparison.objects.filter(
            Q(left=render.sequence_id) | Q(right=render.sequence_id)))
        services.refresh_batch_states(services.batches_of(Render, render.pk))


@shared_task(name="rendering.tasks.render_comparison")
def render_comparison(comparison_id: int) -> None:
    """The side-by-side video of a pair, from the two sequences' videos, labelled A (left) and B."""
    token = services.claim(Comparison, comparison_id)
    if token is None:
        return
    comparison = Comparison.objects.select_related("left__render", "right__render").get(pk=comparison_id)
    name = f"comparisons/{comparison.clip_id}/comparison-{comparison.pk}.mp4"
    started = time.perf_counter()
    try:
        left, right = (default_storage.path(side.render.file.name) for side in (comparison.left, comparison.right))
        compose_pair(Path(left), Path(right), Path(default_storage.path(name)))
    except Exception as error:
        services.record_failure(Comparison, comparison.pk, token, error)
        return
    if Comparison.settle(comparison.pk, token, status=Status.DONE, error="", file=name,
                         duration_s=comparison.left.render.duration_s, render_seconds=time.perf_counter() - started):
        services.refresh_batch_states(services.batches_of(Comparison, comparison.pk))


@shared_task(name="rendering.tasks.reconcile")
def reconcile() -> dict:
    """Periodic (Celery beat): re-enqueue what waited too long; finish batches."""
    return services.reconcile()
