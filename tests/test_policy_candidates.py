"""On-policy render batches (issue 30): a sequence model's candidates instead of stage-1 sliding
windows: distinct, reproducible, with their provenance; the errors an admin can meet."""
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from dser.differences import pair_difference
from dser.jobs import Status
from emotion.candidates import MIN_PEAK_DIFFERENCE, CandidatesError, draw_candidates
from emotion.checkpoint import checkpoint_hash
from emotion.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2
from rendering import batches, tasks
from rendering.models import Comparison, EmotionSequence, Render, RenderBatch
from rendering.options import ScheduleOptions
from rendering.scheduling import schedule_batch
from training.aggregation import Triplet
from training.services import triplet_row

RATE = 50.0


def uncertain_alpha(frames: int = 200) -> np.ndarray:
    """(T, 6) alpha of a model that hears joy, then sadness, and is not very sure of either."""
    alpha = np.ones((frames, 6))
    alpha[: frames // 2, 3] += 4.0
    alpha[frames // 2:, 5] += 4.0
    return alpha


def test_candidates_are_the_prediction_then_distinct_draws_the_same_for_the_same_seed():
    candidates = draw_candidates(uncertain_alpha(), RATE, 4.0, 5, seed=7, temperature=1.0, likelihood="dirichlet")
    again = draw_candidates(uncertain_alpha(), RATE, 4.0, 5, seed=7, temperature=1.0, likelihood="dirichlet")
    other = draw_candidates(uncertain_alpha(), RATE, 4.0, 5, seed=8, temperature=1.0, likelihood="dirichlet")
    assert len(candidates) == 5
    assert np.allclose(candidates[0].sample(1.0), [1 / 10, 1 / 10, 1 / 10, 5 / 10, 1 / 10, 1 / 10])  # the mean
    for first in range(5):
        assert np.array_equal(candidates[first].values, again[first].values)
        for second in range(first + 1, 5):
            assert pair_difference(candidates[first], candidates[second], 4.0).peak >= MIN_PEAK_DIFFERENCE
    assert not np.array_equal(candidates[1].values, other[1].values)


def test_temperature_spreads_the_draws_and_a_sure_policy_is_a_clear_error():
    def spread(temperature: float) -> float:
        drawn = draw_candidates(uncertain_alpha(), RATE, 4.0, 5, seed=1, temperature=temperature, likelihood="dirichlet")
        return np.mean([np.abs(d.values - drawn[0].sample(d.times)).sum(-1).mean() / 2 for d in drawn[1:]])

    assert spread(3.0) > spread(1.0) > spread(0.5)
    with pytest.raises(CandidatesError, match="too sure at temperature 1; raise it"):
        draw_candidates(uncertain_alpha() * 1e5, RATE, 4.0, 5, seed=1, temperature=1.0, likelihood="dirichlet")
    with pytest.raises(CandidatesError, match="temperature must be positive"):
        draw_candidates(uncertain_alpha(), RATE, 4.0, 5, seed=1, temperature=0.0, likelihood="dirichlet")


def test_a_cross_entropy_models_draws_do_not_depend_on_its_alphas_scale():
    """A ce model's alpha has no meaningful scale (its loss reads the mean): scaled by 1e5 its
    draws are the same, where a Dirichlet model's would collapse onto its prediction."""
    small = draw_candidates(uncertain_alpha(), RATE, 4.0, 3, seed=2, temperature=1.0, likelihood="ce")
    large = draw_candidates(uncertain_alpha() * 1e5, RATE, 4.0, 3, seed=2, temperature=1.0, likelihood="ce")
    assert all(np.allclose(a.values, b.values) for a, b in zip(small, large))


@pytest.mark.django_db
def test_a_policy_batch_makes_distinct_reproducible_candidates_with_their_provenance(clip):
    options = ScheduleOptions(clip_ids=(clip.pk,), policy=str(DEFAULT_STAGE2), sequences=4, temperature=1.5, seed=3)
    batch = schedule_batch(options)
    assert (batch.source, batch.temperature, batch.checkpoint_hash) == (
        RenderBatch.Source.POLICY, 1.5, checkpoint_hash(DEFAULT_STAGE2))
    tasks.generate_sequences(batch.batch_clips.get().pk)
    assert batch.batch_clips.get().error == ""
    sequences = list(EmotionSequence.objects.order_by("draw"))
    assert [s.draw for s in sequences] == [0, 1, 2, 3] and {s.temperature for s in sequences} == {1.5}
    assert len({s.draw_seed for s in sequences}) == 1 and {s.window_s for s in sequences} == {None}
    assert {s.checkpoint_hash for s in sequences} == {batch.checkpoint_hash}
    timelines = [s.get_timeline() for s in sequences]
    duration = clip.duration_s
    assert min(pair_difference(a, b, duration).peak for i, a in enumerate(timelines) for b in timelines[i + 1:]) \
        >= MIN_PEAK_DIFFERENCE
    counts = batches.batch_counts(batch)
    assert counts["spread"] > 0 and Comparison.objects.count() == 6
    row = triplet_row(Triplet(clip, sequences[1], sequences[0], votes={}))  # what an export writes
    assert row.chosen_params == {"draw": 1, "draw_seed": sequences[0].draw_seed, "temperature": 1.5}

    rows = (EmotionSequence.objects.count(), Render.objects.count(), Comparison.objects.count())
    again = schedule_batch(options)  # the same policy, clips and seed: the same candidates, no new rows
    tasks.generate_sequences(again.batch_clips.get().pk)
    assert (EmotionSequence.objects.count(), Render.objects.count(), Comparison.objects.count()) == rows
    assert [s.get_timeline().values.tolist() for s in EmotionSequence.objects.order_by("draw")] == \
        [t.values.tolist() for t in timelines]
    assert again.sequences.count() == 4


@pytest.mark.django_db
def test_a_stage1_model_as_policy_or_a_policy_beside_a_stage1_checkpoint_is_refused(clip):
    with pytest.raises(CommandError, match="is a stage-1 utterance model; a policy must be a sequence"):
        call_command("schedule_renders", "--policy", str(DEFAULT_STAGE1), stdout=io.StringIO())
    with pytest.raises(CommandError, match="name a stage-1 checkpoint or a policy, not both"):
        call_command("schedule_renders", "--policy", str(DEFAULT_STAGE2), "--checkpoint", str(DEFAULT_STAGE1),
                     stdout=io.StringIO())
    with pytest.raises(CommandError, match="temperature must be positive"):
        call_command("schedule_renders", "--policy", str(DEFAULT_STAGE2), "--temperature", "0", stdout=io.StringIO())
    assert not RenderBatch.objects.exists()


@pytest.mark.django_db
def test_a_policy_whose_draws_stay_by_its_prediction_fails_the_clip_with_the_reason(clip):
    """What was tried: a temperature so low that every draw is the prediction's knots. What must
    hold: the clip's inference fails at once with the reason and the remedy, no sequence is
    kept, and the batch counts the failure by its kind."""
    out = io.StringIO()
    call_command("schedule_renders", "--policy", str(DEFAULT_STAGE2), "--candidates", "4", "--temperature", "1e-6",
                 stdout=out)
    batch = RenderBatch.objects.get(pk=int(out.getvalue()))
    item = batch.batch_clips.get()
    tasks.generate_sequences(item.pk)
    item.refresh_from_db()
    assert item.status == Status.FAILED and item.attempts == 1
    assert item.error.startswith("CandidatesError: draw 2 stayed within") and "raise it" in item.error
    assert not EmotionSequence.objects.exists() and batches.batch_counts(batch)["failures"] == {"CandidatesError": 1}


@pytest.mark.django_db
def test_an_admin_schedules_a_policy_batch_from_the_form(client, clip, admin_user):
    client.force_login(admin_user)
    form = client.get(f"/admin/rendering/renderbatch/schedule/?clips={clip.pk}").content.decode()
    assert f'<option value="{DEFAULT_STAGE2}">stage 2: {DEFAULT_STAGE2}</option>' in form
    response = client.post("/admin/rendering/renderbatch/schedule/", {
        "clip_ids": str(clip.pk), "policy": str(DEFAULT_STAGE2), "temperature": 2.0, "sequences": 3, "seed": 0,
        "priority": 5, "min_distance_s": 0.15, "controls": 0.0})
    batch = RenderBatch.objects.get()
    assert response.status_code == 302 and (batch.source, batch.temperature, batch.sequences_per_clip) == (
        RenderBatch.Source.POLICY, 2.0, 3)
    tasks.generate_sequences(batch.batch_clips.get().pk)
    page = client.get(f"/admin/rendering/renderbatch/{batch.pk}/change/").content.decode()
    assert "a sequence model&#x27;s prediction and draws" in page and "mean difference between a clip" in page
