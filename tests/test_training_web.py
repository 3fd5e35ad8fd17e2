"""ML engineers export and launch DPO runs from the web app; a real worker trains them."""
import time

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from emotion.checkpoint import load_checkpoint
from emotion.dpo_config import DPOConfig
from tests.support import STALE_S, make_user, wait_for
from training.models import PreferenceExport, TrainingRun
from training.services import ExportFilters, launch_run, make_export
from training.tasks import reconcile_runs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def engineer_client(client):
    make_user("eng", "ml_engineers")
    client.force_login(User.objects.get(username="eng"))
    return client


@pytest.fixture
def worker(workers):
    return workers("trainer")


def run_status(run: TrainingRun) -> str:
    run.refresh_from_db()
    return run.status


def test_an_engineer_exports_launches_a_run_and_cancels_another(judged, engineer_client, worker):
    response = engineer_client.post("/training/exports/", {"min_votes": 1, "min_majority": 0, "aggregate": "pairwise",
                                                           "bt_margin": 1.0, "granularity": "clip"})
    assert response.status_code == 302  # the export runs on the worker; the page shows its state
    wait_for(lambda: PreferenceExport.objects.get().status == "done", 60, "the export", worker)
    export = PreferenceExport.objects.get()
    assert export.triplets == 2 and "download" in engineer_client.get("/training/").content.decode()

    response = engineer_client.post("/training/runs/", {"export": export.pk, "beta": 0.5, "lr": 1e-4, "epochs": 2,
                                                        "batch_size": 2, "reference": str(settings.STAGE2_CHECKPOINT),
                                                        "label_smoothing": 0.1})
    run = TrainingRun.objects.get()
    assert (run.reference_checkpoint, run.label_smoothing) == (str(settings.STAGE2_CHECKPOINT), 0.1)
    assert response.status_code == 302 and response["Location"] == f"/training/runs/{run.pk}/"
    wait_for(lambda: run_status(run) not in ("pending", "running"), 120, "the run to finish", worker)
    assert run.status == "done", run.error
    assert [entry["epoch"] for entry in run.epochs_done] == [1, 2]
    page = engineer_client.get(f"/training/runs/{run.pk}/").content.decode()
    assert "DPO run" in page and "rewards/accuracies" in page and "training curves" in page
    assert engineer_client.get(f"/training/runs/{run.pk}/curves.png")["Content-Type"] == "image/png"
    metadata = load_checkpoint(run.directory)[1]
    assert metadata.stage == 3 and metadata.provenance["config"]["label_smoothing"] == 0.1
    assert metadata.provenance["config"]["reference"] == str(settings.STAGE2_CHECKPOINT)

    slow = launch_run(export, DPOConfig(epochs=500, batch_size=1, lr=1e-4))
    wait_for(lambda: len(TrainingRun.objects.get(pk=slow.pk).epochs_done) >= 1, 120, "a finished epoch", worker)
    assert engineer_client.post(f"/training/runs/{slow.pk}/cancel/").status_code == 302
    wait_for(lambda: run_status(slow) != "running", 60, "the run to stop", worker)
    assert slow.status == "cancelled" and len(slow.epochs_done) < 500
    assert load_checkpoint(slow.directory)[1].metrics["epoch"] >= 1  # the last finished epoch is kept


@pytest.mark.parametrize("role", ["annotators", "admins"])
def test_only_ml_engineers_see_or_launch_runs_and_exports(client, role):
    make_user("someone", role)
    client.force_login(User.objects.get(username="someone"))
    assert client.get("/training/").status_code == 403
    assert client.post("/training/exports/", {"min_votes": 1}).status_code == 403
    assert client.post("/training/runs/", {"beta": 0.5}).status_code == 403
    assert client.get("/training/study/").status_code == 403
    assert PreferenceExport.objects.count() == 0 and TrainingRun.objects.count() == 0


def test_a_run_without_triplets_is_refused(engineer_client):
    export = make_export(ExportFilters())
    assert (export.status, export.triplets) == ("done", 0)
    engineer_client.post("/training/runs/", {"export": export.pk, "beta": 0.5, "lr": 1e-5, "epochs": 1, "batch_size": 1})
    assert TrainingRun.objects.count() == 0  # the form offers only exports with triplets


def test_the_study_report_is_shown_to_ml_engineers_with_its_plots(engineer_client, media_root):
    assert "No study has run here yet" in engineer_client.get("/training/study/").content.decode()
    (media_root / "study" / "plots").mkdir(parents=True)
    (media_root / "study" / "plots" / "mae_by_stage.png").write_bytes(b"\x89PNG fake")
    (media_root / "study" / "report.md").write_text(
        "# The whole loop\n\n| loss | MAE |\n|---|---|\n| ce | 0.150 |\n\n<script>x</script>\n\n"
        "![MAE by stage](plots/mae_by_stage.png)\n")
    page = engineer_client.get("/training/study/").content.decode()
    assert "<td>0.150</td>" in page and '<img src="plots/mae_by_stage.png"' in page
    assert "<script>x" not in page  # raw HTML in the report is escaped, not run
    assert engineer_client.get("/training/study/plots/mae_by_stage.png").status_code == 200
    assert engineer_client.get("/training/study/plots/..%2Freport.md").status_code == 404


def test_a_run_whose_worker_is_killed_is_trained_again_to_done(judged, workers, settings):
    """What was tried: SIGKILL of the training worker's process group mid-run, then a new
    worker and the run reconciler. What must hold: the run does not stay "running": it is
    trained again from its init checkpoint and ends "done" with every epoch logged once."""
    run = launch_run(make_export(ExportFilters()), DPOConfig(epochs=30, batch_size=1, lr=1e-4))
    doomed = workers("doomed-trainer")
    wait_for(lambda: len(TrainingRun.objects.get(pk=run.pk).epochs_done) >= 1, 120, "a finished epoch", doomed)
    doomed.kill()
    assert run_status(run) == "running"  # the dead worker's claim is left behind

    survivor = workers("survivor-trainer")
    settings.JOB_STALE_S = STALE_S  # the reconciler runs here, with the workers' setting
    time.sleep(STALE_S + 1)
    assert reconcile_runs(0) == {"failed": 0, "restarted": 1, "sent": 1}
    wait_for(lambda: run_status(run) not in ("pending", "running"), 240, "the run to finish again", survivor)
    assert (run.status, run.attempts) == ("done", 2), run.error
    assert [entry["epoch"] for entry in run.epochs_done] == list(range(1, 31))
