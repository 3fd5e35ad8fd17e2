"""Render-job rules without a worker: tasks run in this process, messages are not sent
(the test transaction never commits), so each rule is checked on its own."""
import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dser.emotions import EMOTIONS, one_hot
from dser.jobs import Status
from emotion.defaults import DEFAULT_STAGE2
from rendering import batches, jobs, tasks
from rendering.models import BatchClip, Comparison, EmotionSequence, Render, RenderBatch
from rendering.options import ScheduleOptions
from rendering.scheduling import schedule_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(clip):
    return schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), pairs=2))


def test_a_task_delivered_twice_writes_one_row_and_one_file(batch, media_root, settings):
    settings.RENDER_SIZE = 48
    item = batch.batch_clips.get()
    tasks.generate_sequences(item.pk)
    tasks.generate_sequences(item.pk)  # the same message again: the row is done, nothing happens
    assert EmotionSequence.objects.count() == 5 and Render.objects.count() == 5 and Comparison.objects.count() == 2
    render = Render.objects.first()
    tasks.render_sequence(render.pk)
    tasks.render_sequence(render.pk)
    render.refresh_from_db()
    assert (render.status, render.attempts) == (Status.DONE, 1)
    assert sorted(p.name for p in (media_root / "renders" / str(batch.batch_clips.get().clip_id)).iterdir()) == [
        "mouth-25fps.npz", f"sequence-{render.sequence_id}.mp4"]


def test_only_one_of_two_workers_claims_an_item_and_a_dead_claim_can_be_taken_over(batch, settings):
    item = batch.batch_clips.get()
    first = BatchClip.claim_for_work(item.pk)
    assert first is not None and BatchClip.claim_for_work(item.pk) is None
    BatchClip.objects.filter(pk=item.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_S + 1))
    second = BatchClip.claim_for_work(item.pk)
    assert second not in (None, first)
    assert not BatchClip.settle(item.pk, first, status=Status.DONE)  # the dead attempt's late result is refused
    assert BatchClip.settle(item.pk, second, status=Status.DONE)


def test_a_failing_item_retries_with_backoff_then_fails_with_its_reason(batch, monkeypatch, settings,
                                                                        django_capture_on_commit_callbacks):
    """What was tried: an encoder that fails every time. What must hold: the render is retried
    JOB_MAX_ATTEMPTS times with growing delays, then `failed` with the reason."""
    tasks.generate_sequences(batch.batch_clips.get().pk)
    render = Render.objects.first()
    sent = []
    monkeypatch.setattr(tasks, "render_video", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    monkeypatch.setattr(jobs.current_app, "send_task", lambda name, args, countdown, priority: sent.append(
        (name, args, countdown)))
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.render_sequence(render.pk)
    render.refresh_from_db()
    assert (render.status, render.attempts, render.error) == (Status.FAILED, 3, "OSError: disk full")
    backoff = settings.JOB_RETRY_BACKOFF_S
    assert sent == [("rendering.tasks.render_sequence", [render.pk], backoff),
                    ("rendering.tasks.render_sequence", [render.pk], 2 * backoff)]
    assert batches.batch_counts(batch)["failures"] == {"OSError": 1}


def test_an_error_no_retry_can_fix_fails_at_once(batch, clip, media_root):
    (media_root / clip.audio.name).write_bytes(b"not a wav")
    item = batch.batch_clips.get()
    tasks.generate_sequences(item.pk)
    item.refresh_from_db()
    assert (item.status, item.attempts) == (Status.FAILED, 1) and item.error.startswith("AudioError: cannot read audio")


def test_cancel_stops_what_has_not_started_and_retry_brings_it_back(batch):
    batches.cancel(batch)
    batch.refresh_from_db()
    assert batch.state == RenderBatch.State.CANCELLED and batch.batch_clips.get().status == Status.CANCELLED
    tasks.generate_sequences(batch.batch_clips.get().pk)  # a message already queued: not claimed, nothing made
    assert EmotionSequence.objects.count() == 0
    assert batches.retry(list(batch.batch_clips.all())) == 1
    batch.refresh_from_db()
    assert batch.state == RenderBatch.State.RUNNING and batch.batch_clips.get().status == Status.PENDING


def test_the_commands_schedule_and_report_and_refuse_bad_input(clip):
    out = StringIO()
    call_command("schedule_renders", "--dataset", "demo", "--pairs", "all", stdout=out)
    batch_id = int(out.getvalue())
    out = StringIO()
    call_command("batch_status", "--json", stdout=out)
    status = json.loads(out.getvalue())
    assert status["id"] == batch_id and status["state"] == "running"
    assert status["clips"]["pending"] == 1 and status["renders"] == {s: 0 for s in Status.values}
    with pytest.raises(CommandError, match="stage-1 \\(utterance\\) model"):
        call_command("schedule_renders", "--checkpoint", str(DEFAULT_STAGE2))
    with pytest.raises(CommandError, match="not a DSER checkpoint"):
        call_command("schedule_renders", "--checkpoint", "/nonexistent")
    with pytest.raises(CommandError, match="no ready clips"):
        call_command("schedule_renders", "--dataset", "nothing-here")
    with pytest.raises(CommandError, match="no batch 999"):
        call_command("batch_status", "999")


def test_a_new_batch_takes_up_what_a_cancelled_batch_left_undone(batch, clip):
    tasks.generate_sequences(batch.batch_clips.get().pk)
    batches.cancel(batch)
    assert set(Render.objects.values_list("status", flat=True)) == {Status.CANCELLED}
    again = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), pairs=2))
    tasks.generate_sequences(again.batch_clips.get().pk)
    assert EmotionSequence.objects.count() == 5  # the same sequences, reused
    assert set(Render.objects.values_list("status", flat=True)) == {Status.PENDING}
    assert set(Comparison.objects.values_list("status", flat=True)) == {Status.PENDING}
    again.refresh_from_db()
    assert again.state == RenderBatch.State.RUNNING


def test_a_control_pits_a_model_sequence_against_a_worse_copy_of_it(clip):
    batch = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), pairs=2, controls=1.0))
    tasks.generate_sequences(batch.batch_clips.get().pk)
    control = Comparison.objects.get(is_control=True)
    sides = {"left": control.left, "right": control.right}
    better, worse = sides[control.control_answer], sides["right" if control.control_answer == "left" else "left"]
    assert better.kind == EmotionSequence.Kind.MODEL and worse.kind == EmotionSequence.Kind.UNLIKELY
    least = better.get_timeline().values.mean(axis=0).argmin()
    assert worse.timeline["times"] == [0.0] and worse.timeline["values"] == [one_hot(EMOTIONS[least]).tolist()]
    assert Comparison.objects.filter(is_control=False).count() == 2
    assert Render.objects.filter(sequence=worse).exists()  # rendered like any sequence


@pytest.mark.django_db(transaction=True)
def test_a_step_longer_than_the_stale_time_keeps_its_claim(clip, monkeypatch, settings):
    """What was tried: an inference step four times longer than DSER_JOB_STALE_S (the model
    made slow), another worker trying to claim the item after each sequence. What must hold:
    the heartbeat keeps the claim fresh, nobody takes the item over, and its result is saved."""
    settings.JOB_STALE_S = 1
    item = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), pairs=2)).batch_clips.get()
    real, other_claims = tasks.sliding_window_timeline, []

    def slow(model, samples, params):
        time.sleep(0.8)
        other_claims.append(BatchClip.claim_for_work(item.pk))  # what a second worker would get now
        return real(model, samples, params)

    monkeypatch.setattr(tasks, "sliding_window_timeline", slow)
    tasks.generate_sequences(item.pk)
    item.refresh_from_db()
    assert other_claims == [None] * 5 and (item.status, item.attempts) == (Status.DONE, 1)
    assert EmotionSequence.objects.filter(clip=clip).count() == 5


def test_an_explicit_reconcile_frees_running_items_at_once(batch, settings):
    """What was tried: `reconcile_jobs --older-than 0` while an item's claim is still fresh
    (a crash the operator knows about, before DSER_JOB_STALE_S). What must hold: the item is
    pending again with no claim, so the next worker claims it at once."""
    item = batch.batch_clips.get()
    assert BatchClip.claim_for_work(item.pk) is not None
    assert BatchClip.claim_for_work(item.pk) is None  # fresh claim: nobody else may take it
    call_command("reconcile_jobs", "--older-than", "0", stdout=StringIO())
    item.refresh_from_db()
    assert (item.status, item.claim) == (Status.PENDING, None)
    assert BatchClip.claim_for_work(item.pk) is not None
