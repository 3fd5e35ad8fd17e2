"""Render jobs end to end: real PostgreSQL, Redis and Celery worker processes, the embedded
stage-1 checkpoint, generated MELD-layout clips, ffmpeg and pyrender."""
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from corpus.models import Clip
from dser.jobs import Status
from rendering.batches import batch_counts
from rendering.models import BatchClip, Comparison, EmotionSequence, Render, RenderBatch
from tests.support import (
    STALE_S,
    batch_finished,
    flush_broker,
    make_unreadable_clip,
    partial_files,
    probe_video,
    run_in_threads,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)
PAIRS = 3  # comparisons per clip (of the 10 possible), to keep the run short


@pytest.fixture
def clips(demo_corpus, media_root):
    flush_broker()
    call_command("import_meld", "--csv", str(demo_corpus.meld_csv), "--clips", str(demo_corpus.meld_clips),
                 "--dataset", "demo", stdout=StringIO(), verbosity=0)
    return list(Clip.objects.filter(dataset="demo", status=Clip.Status.READY).order_by("pk"))


def schedule(clip_ids, **options) -> RenderBatch:
    out = StringIO()
    call_command("schedule_renders", "--clips", ",".join(map(str, clip_ids)), "--pairs", str(PAIRS), *options.get(
        "args", ()), stdout=out)
    return RenderBatch.objects.get(pk=int(out.getvalue().split()[0]))


def assert_complete_without_duplicates(batch: RenderBatch, good_clips, media_root) -> None:
    for clip in good_clips:
        sequences = EmotionSequence.objects.filter(clip=clip)
        assert sequences.count() == 5
        assert len({(s.window_s, s.stride_s) for s in sequences}) == 5
        renders = Render.objects.filter(sequence__clip=clip)
        assert renders.count() == 5 and set(renders.values_list("status", flat=True)) == {Status.DONE}
        comparisons = Comparison.objects.filter(clip=clip)
        assert comparisons.count() == PAIRS and set(comparisons.values_list("status", flat=True)) == {Status.DONE}
        files = sorted(p.name for p in (media_root / "renders" / str(clip.pk)).glob("*.mp4"))
        assert files == sorted(f"sequence-{s.pk}.mp4" for s in sequences)  # one file per render, no strays
    assert partial_files(media_root) == []


def test_a_batch_makes_sequences_videos_and_comparisons_and_fails_one_bad_clip_alone(clips, workers, media_root):
    """What was tried: a batch over three clips and one whose audio is unreadable. What must
    hold: 5 distinct sequences, 5 videos and the requested comparisons per good clip, every
    video H.264 + AAC of equal length, exactly one failure with its reason; scheduling the
    same clips again makes no new sequences."""
    broken = make_unreadable_clip(media_root)
    good = clips[:3]
    batch = schedule([c.pk for c in good] + [broken.pk])
    worker = workers()
    wait_for(lambda: batch_finished(batch), 300, "the batch to finish", worker)

    assert batch.state == RenderBatch.State.DONE
    assert_complete_without_duplicates(batch, good, media_root)
    failed = BatchClip.objects.get(batch=batch, status=Status.FAILED)
    assert failed.clip == broken and failed.error.startswith("AudioError: cannot read audio garbage.wav")
    counts = batch_counts(batch)
    assert counts["failures"] == {"AudioError": 1} and counts["clips"]["done"] == 3
    assert counts["renders"]["done"] == 15 and counts["comparisons"]["done"] == 3 * PAIRS

    for item in [*Render.objects.all(), *Comparison.objects.all()]:
        video, audio = probe_video(media_root / item.file.name)
        assert (video["codec_name"], video["pix_fmt"], audio["codec_name"]) == ("h264", "yuv420p", "aac")
        assert float(video["duration"]) == pytest.approx(float(audio["duration"]), abs=0.05)
    comparison = Comparison.objects.first()
    assert probe_video(media_root / comparison.file.name)[0]["width"] == 128  # two 64-pixel faces
    assert set(Render.objects.values_list("mouth_source", flat=True)) == {"phonemes"}

    again = schedule([c.pk for c in good])
    wait_for(lambda: batch_finished(again), 120, "the second batch", worker)
    assert EmotionSequence.objects.count() == 15 and Render.objects.count() == 15
    assert again.sequences.count() == 15 and again.state == RenderBatch.State.DONE


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(clips, workers, media_root, settings):
    """What was tried: SIGKILL of the worker's process group while it renders, then a new
    worker and the reconciler. What must hold: the batch finishes with one row and one file
    per item and no temporary files."""
    batch = schedule([c.pk for c in clips[:2]])
    first = workers("doomed")
    wait_for(lambda: Render.objects.filter(status=Status.RUNNING, sequence__batches=batch).exists(), 120,
             "a render to start", first)
    first.kill()
    assert Render.objects.filter(status=Status.RUNNING).exists()  # the dead worker's claim is left behind

    second = workers("survivor")
    settings.JOB_STALE_S = STALE_S  # the reconciler below runs here, with the workers' setting
    time.sleep(STALE_S + 1)  # the dead worker's heartbeat, and its half-written file, go stale
    call_command("reconcile_jobs", "--older-than", "0", stdout=StringIO())
    wait_for(lambda: batch_finished(batch), 300, "the batch to finish after the kill", second)
    assert batch.state == RenderBatch.State.DONE
    assert_complete_without_duplicates(batch, clips[:2], media_root)


def test_a_flushed_broker_is_recovered_by_the_reconciler(clips, workers, media_root):
    """What was tried: every queued message dropped (Redis flushed) mid-batch. What must hold:
    the reconciler re-enqueues from the database and the batch finishes."""
    batch = schedule([c.pk for c in clips[:2]])
    worker = workers()
    wait_for(lambda: Render.objects.filter(status=Status.DONE).exists(), 120, "the first video", worker)
    flush_broker()
    call_command("reconcile_jobs", "--older-than", "0", stdout=StringIO())
    wait_for(lambda: batch_finished(batch), 300, "the batch to finish after the flush", worker)
    assert batch.state == RenderBatch.State.DONE
    assert_complete_without_duplicates(batch, clips[:2], media_root)



def test_a_pair_whose_two_videos_finish_at_once_is_enqueued(clip, media_root, monkeypatch):
    """What was tried: the two videos of a pair finishing in two processes at the same moment,
    the first not yet committed when the second asks whether the pair is ready. What must
    hold: the pair is enqueued once both are done (before, each saw the other unfinished and
    the pair waited for the reconciler)."""
    from rendering import jobs, tasks
    from rendering.options import ScheduleOptions
    from rendering.scheduling import schedule_batch

    sent = []
    monkeypatch.setattr(jobs.current_app, "send_task", lambda name, args, **_: sent.append((name, args[0])))
    batch = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), pairs=2))
    tasks.generate_sequences(batch.batch_clips.get().pk)
    comparison = Comparison.objects.filter(is_control=False).first()
    renders = [side.render for side in (comparison.left, comparison.right)]
    tokens = [Render.claim_for_work(render.pk) for render in renders]
    first_uncommitted = threading.Event()

    def finish_first():
        with transaction.atomic():
            jobs.finish(Render, renders[0].pk, tokens[0])
            first_uncommitted.set()
            time.sleep(1.0)  # the second finishes meanwhile

    def finish_second():
        first_uncommitted.wait()
        jobs.finish(Render, renders[1].pk, tokens[1])

    run_in_threads(finish_first, finish_second)
    assert (Comparison.task_name, comparison.pk) in sent
