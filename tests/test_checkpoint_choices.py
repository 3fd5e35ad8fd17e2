"""No free-text server paths from the web: the schedule form and the DPO form offer only the
checkpoints the server lists (defaults, finished runs, DSER_CHECKPOINT_ROOTS), and a broken
checkpoint is a form error, never a 500."""
import shutil

import pytest

from emotion.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2
from rendering.models import RenderBatch
from training.models import PreferenceExport, TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def roots(tmp_path, settings):
    """A checkpoint root with a copy of each embedded model and one with broken metadata."""
    root = tmp_path / "checkpoints"
    shutil.copytree(DEFAULT_STAGE1, root / "mine" / "stage1")
    shutil.copytree(DEFAULT_STAGE2, root / "mine" / "stage2")
    (root / "broken").mkdir()
    (root / "broken" / "dser.json").write_text("{not json")
    settings.CHECKPOINT_ROOTS = [root]
    return root


def test_the_schedule_form_offers_listed_checkpoints_and_refuses_a_typed_path(client, clip, admin_user, roots):
    client.force_login(admin_user)
    page = client.get("/admin/rendering/renderbatch/schedule/").content.decode()
    assert str(roots / "mine" / "stage1") in page and "broken" not in page
    models, policies = (page[page.index(f'name="{name}"'):].split("</select>")[0] for name in ("checkpoint", "policy"))
    assert "stage2" not in models and str(roots / "mine" / "stage1") not in policies  # each field its own kind
    assert str(roots / "mine" / "stage2") in policies
    form = {"clip_ids": str(clip.pk), "sequences": 5, "seed": 0, "priority": 5, "min_distance_s": 0.15, "controls": 0}
    refused = client.post("/admin/rendering/renderbatch/schedule/", {**form, "checkpoint": "/etc"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert RenderBatch.objects.count() == 0
    chosen = client.post("/admin/rendering/renderbatch/schedule/", {**form, "checkpoint": str(roots / "mine" / "stage1")})
    assert chosen.status_code == 302 and RenderBatch.objects.get().checkpoint == str(roots / "mine" / "stage1")


def test_the_dpo_form_offers_sequence_models_and_a_broken_one_is_a_form_error(client, engineer, roots, tmp_path):
    from training.forms import RunForm

    export = PreferenceExport.objects.create(directory=str(tmp_path), triplets=1, status="done")
    broken = tmp_path / "run"
    broken.mkdir()
    (broken / "dser.json").write_text("[]")
    TrainingRun.objects.create(export=export, init_checkpoint="-", directory=str(broken), status="done")
    choices = dict(RunForm().fields["init_checkpoint"].choices)
    assert str(roots / "mine" / "stage2") in choices and str(broken) in choices
    assert str(roots / "mine" / "stage1") not in choices  # an utterance model cannot start DPO
    client.force_login(engineer)
    for field in ("init_checkpoint", "reference"):  # the reference is offered and checked the same way
        assert str(roots / "mine" / "stage2") in dict(RunForm().fields[field].choices)
        for path, message in (("/etc/passwd", "Select a valid choice"), (str(broken), "malformed")):
            response = client.post("/training/runs/", {"export": export.pk, field: path, "beta": 0.5,
                                                       "lr": 1e-5, "epochs": 1, "batch_size": 1}, follow=True)
            assert response.status_code == 200 and message in response.content.decode()
    assert TrainingRun.objects.count() == 1
