"""Rounds of feedback (issue 30): a batch's judgment budget, and the chain batch -> judgments ->
export -> DPO run -> the next round's batch from that run's model, on the web and the CLI."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotator import services
from dser import media
from dser.jobs import Status
from dser.records import ReferenceRow, write_jsonl
from dser.timeline import Timeline
from emotion.dpo import DPOConfig
from rendering import tasks as render_tasks
from rendering.models import Comparison, RenderBatch
from rendering.options import ScheduleOptions
from rendering.scheduling import schedule_batch
from tests.support import annotators, judge_watched, make_comparisons, vote
from training import tasks as training_tasks
from training.models import Round
from training.services import ExportFilters, launch_run, make_export

pytestmark = pytest.mark.django_db


def test_a_batch_is_served_until_its_judgment_budget_is_spent(pair_video, media_root):
    """What was tried: a batch of four comparisons with a budget of three judgments, beside a
    batch with none. What must hold: after the third judgment its comparisons are served no
    more (the other batch's still are), and the batch records when its budget was spent."""
    budgeted = make_comparisons(pair_video, media_root, 4, overlap=3)
    batch = RenderBatch.objects.get(comparisons=budgeted[0])
    RenderBatch.objects.filter(pk=batch.pk).update(judgment_budget=3)
    a, b = annotators("a", "b")
    for user in (a, a, b):
        judge_watched(user, services.serve_next(user).comparison_id, "left")
    batch.refresh_from_db()
    assert batch.budget_spent_at is not None
    assert services.serve_next(b) is None
    left = next(c for c in budgeted if not c.judgments.filter(annotator=b).exists())
    unbudgeted = RenderBatch.objects.create(checkpoint="ckpt", checkpoint_hash="h" * 64)
    unbudgeted.comparisons.add(left)  # wanted by a batch with judgments left: served again
    assert services.serve_next(b).comparison_id == left.pk


@pytest.fixture
def first_round(clip, settings, tmp_path, demo_corpus):
    """Batch 1 (stage-1 windows) judged, exported by its batch number, and a DPO run trained on
    it to done, scored on a held-out reference (the clip's true timeline)."""
    batch = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), pairs=3, budget=6))
    render_tasks.generate_sequences(batch.batch_clips.get().pk)
    Comparison.objects.update(status=Status.DONE)
    a, b = annotators("a", "b")
    for comparison in Comparison.objects.all():
        for user in (a, b):
            vote(user, comparison, "left")
    truth = json.loads(demo_corpus.timelines.read_text())[clip.key.split("/")[-1]]
    settings.HELDOUT_REFERENCE = str(tmp_path / "reference.jsonl")
    write_jsonl(tmp_path / "reference.jsonl", [ReferenceRow(str(media.media_path(clip.audio.name)),
                                                            Timeline.from_json(truth))])
    export = make_export(ExportFilters(batch=batch.pk, min_votes=2))
    run = launch_run(export, DPOConfig(epochs=1, batch_size=2, lr=1e-4))
    training_tasks.train_dpo_run(run.pk)
    run.refresh_from_db()
    assert run.status == Status.DONE
    return batch, export, run


def test_a_finished_run_starts_the_next_round_on_the_web_and_the_chain_is_shown(first_round, engineer, client, clip):
    batch, export, run = first_round
    assert set(run.heldout_mae) == {"init", "run", "clips"} and run.heldout_mae["clips"] == 1
    client.force_login(engineer)
    page = client.get(f"/training/runs/{run.pk}/").content.decode()
    assert "Next round" in page and f"{run.heldout_mae['run']:.4f}" in page
    response = client.post(f"/training/runs/{run.pk}/next-round/", {
        "same_clips": "on", "budget": 9, "sequences": 3, "temperature": 1.5, "seed": 0, "priority": 5,
        "controls": 0.0})
    assert response.status_code == 302
    second = Round.objects.get(from_run=run)
    first = Round.objects.get(batch=batch)
    assert (second.number, first.number, second.previous) == (2, 1, first)
    new = second.batch
    assert (new.source, new.checkpoint, new.temperature, new.judgment_budget, new.sequences_per_clip) == (
        RenderBatch.Source.POLICY, run.directory, 1.5, 9, 3)
    assert list(new.batch_clips.values_list("clip_id", flat=True)) == [clip.pk]
    render_tasks.generate_sequences(new.batch_clips.get().pk)  # the run's model makes the candidates
    assert new.batch_clips.get().status == Status.DONE and new.sequences.count() == 3

    page = client.get("/training/").content.decode()
    rounds = page[page.index('id="rounds"'):page.index("<h2>Runs</h2>")]
    assert f"batch {batch.pk}" in rounds and f"batch {new.pk}" in rounds and "of 6" in rounds and "of 9" in rounds
    assert f"{export.pk} ({export.triplets})" in rounds and f"run {run.pk}" in rounds and "→" in rounds


def test_the_next_round_from_the_command_line_and_what_it_refuses(first_round, clip):
    batch, export, run = first_round
    out = io.StringIO()
    call_command("next_round", "--run", str(run.pk), "--same-clips", "--candidates", "4", "--budget", "20", stdout=out)
    new = RenderBatch.objects.get(pk=int(out.getvalue()))
    assert (new.round.from_run, new.sequences_per_clip, new.judgment_budget) == (run, 4, 20)
    with pytest.raises(CommandError, match="policy is the run's model"):
        call_command("next_round", "--run", str(run.pk), "--policy", run.directory, stdout=io.StringIO())
    unlimited = launch_run(make_export(ExportFilters(min_votes=2)), DPOConfig(epochs=1))
    with pytest.raises(CommandError, match="has not finished"):
        call_command("next_round", "--run", str(unlimited.pk), stdout=io.StringIO())
    type(unlimited).objects.filter(pk=unlimited.pk).update(status=Status.DONE)
    with pytest.raises(CommandError, match="not limited to one render batch"):
        call_command("next_round", "--run", str(unlimited.pk), stdout=io.StringIO())
    assert Round.objects.count() == 2  # the first and the one started above, nothing from the refusals
