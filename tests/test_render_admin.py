"""The admin pages of render jobs, and who may use them."""

import pytest

from rendering import tasks
from rendering.models import EmotionSequence, Render, RenderBatch
from rendering.options import ScheduleOptions
from rendering.scheduling import schedule_batch
from tests.support import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["annotators", "ml_engineers"])
def test_only_admins_see_schedule_retry_or_cancel_batches(client, clip, role):
    batch = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,)))
    client.force_login(make_user("someone", role))
    for url in ("/admin/rendering/renderbatch/", f"/admin/rendering/renderbatch/{batch.pk}/change/",
                "/admin/rendering/renderbatch/schedule/"):
        assert client.get(url).status_code == 403
    for url in ("/admin/rendering/renderbatch/schedule/", f"/admin/rendering/renderbatch/{batch.pk}/cancel/",
                f"/admin/rendering/renderbatch/{batch.pk}/retry/"):
        assert client.post(url, {"dataset": "demo", "sequences": 5, "seed": 0, "priority": 5,
                                 "min_distance_s": 0.15}).status_code == 403
    assert RenderBatch.objects.count() == 1 and RenderBatch.objects.get().state == "running"


def test_an_admin_schedules_from_the_clip_list_and_follows_the_chain(client, clip, admin_user, settings):
    settings.RENDER_SIZE = 48
    client.force_login(admin_user)
    response = client.post("/admin/corpus/clip/", {"action": "schedule_renders", "_selected_action": [clip.pk]})
    assert response.status_code == 302 and response["Location"].endswith(f"schedule/?clips={clip.pk}")
    form = client.get(response["Location"])
    assert b"1</strong> clip(s) chosen" in form.content
    response = client.post("/admin/rendering/renderbatch/schedule/", {
        "clip_ids": str(clip.pk), "sequences": 5, "pairs": 2, "seed": 3, "priority": 7, "min_distance_s": 0.15,
        "controls": 0.0})
    batch = RenderBatch.objects.get()
    assert response.status_code == 302 and (batch.created_by, batch.seed, batch.priority) == (admin_user, 3, 7)

    tasks.generate_sequences(batch.batch_clips.get().pk)
    render = Render.objects.first()
    tasks.render_sequence(render.pk)
    render.refresh_from_db()
    page = client.get(f"/admin/rendering/renderbatch/{batch.pk}/change/").content.decode()
    assert "1 done" in page and "Retry failed" in page and "Cancel batch" in page and "<progress" in page
    page = client.get(f"/admin/corpus/clip/{clip.pk}/change/").content.decode()
    assert f"/admin/rendering/emotionsequence/?clip__id__exact={clip.pk}" in page  # clip -> its sequences
    sequence = EmotionSequence.objects.first()
    page = client.get(f"/admin/rendering/emotionsequence/{sequence.pk}/change/").content.decode()
    assert page.count("<polyline") == 6 and f"/admin/rendering/render/{sequence.render.pk}/change/" in page
    page = client.get(f"/admin/rendering/render/{render.pk}/change/").content.decode()
    assert f'<video controls preload="metadata" width="256" src="/media/{render.file.name}"' in page
    assert client.get("/admin/rendering/renderbatch/").status_code == 200

    response = client.post(f"/admin/rendering/renderbatch/{batch.pk}/cancel/")
    batch.refresh_from_db()
    assert response.status_code == 302 and batch.state == RenderBatch.State.CANCELLED


def test_what_a_judgment_means_cannot_be_edited(client, judged, admin_user):
    """What was tried: an admin posts a control comparison's change form with its sides
    swapped and its answer flipped. What must hold: sides, control flag and answer are read-only
    and unchanged, so past judgments keep their meaning."""
    from rendering.models import Comparison

    control = Comparison.objects.get(is_control=True)
    client.force_login(admin_user)
    page = client.get(f"/admin/rendering/comparison/{control.pk}/change/").content.decode()
    assert 'name="control_answer"' not in page and 'name="left"' not in page and 'name="is_control"' not in page
    client.post(f"/admin/rendering/comparison/{control.pk}/change/", {
        "left": control.right_id, "right": control.left_id, "is_control": "", "control_answer": "right"})
    after = Comparison.objects.get(pk=control.pk)
    assert (after.left_id, after.right_id, after.is_control, after.control_answer) == (
        control.left_id, control.right_id, True, "left")
