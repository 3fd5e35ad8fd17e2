"""The ML engineers' work on workers: exports (queue `default`), DPO runs (queue `training`),
and their reconciler. Each task claims its row and works under a heartbeat. The run task
writes its log records to the row as they come, so the run's page shows them live. Work whose
worker died (its heartbeat went stale) is taken over by the redelivered message, or by the
reconciler, and done again from the start (a run from its init checkpoint), up to
DSER_JOB_MAX_ATTEMPTS tries; then it fails with the reason."""
from datetime import timedelta
from pathlib import Path

from celery import current_app, shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from dser.jobs import Status, heartbeat, stale_before
from emotion.dpo import DPOConfig, train_dpo
from training import rounds, services
from training.models import PreferenceExport, TrainingRun


@shared_task(name=TrainingRun.task_name)
def train_dpo_run(run_id: int) -> None:
    token = TrainingRun.claim_for_work(run_id)
    if token is None:
        return  # cancelled before it started, finished, or alive on another worker
    run = TrainingRun.objects.select_related("export").get(pk=run_id)
    mine = TrainingRun.objects.filter(pk=run_id, claim=token)  # a taken-over attempt writes nothing
    mine.update(history=[], error="")
    history = []

    def record(entry: dict) -> None:
        history.append(entry)
        mine.update(history=history)

    def should_stop() -> bool:
        return TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()

    config = DPOConfig(beta=run.beta, lr=run.lr, epochs=run.epochs, batch_size=run.batch_size,
                       reference=run.reference_checkpoint or "init", label_smoothing=run.label_smoothing)
    try:
        with heartbeat(TrainingRun, run_id, token):
            result = train_dpo(Path(run.export.triplets_path), Path(run.init_checkpoint), Path(run.directory), config,
                               progress=False, on_record=record, should_stop=should_stop)
            scores = {} if result["stopped"] else score(run)
    except Exception as error:  # the run fails with its reason; the worker goes on
        TrainingRun.settle(run_id, token, status=Status.FAILED, error=f"{type(error).__name__}: {error}",
                           finished_at=timezone.now())
        return
    TrainingRun.settle(run_id, token, status=Status.CANCELLED if result["stopped"] else Status.DONE,
                       heldout_mae=scores, finished_at=timezone.now())


def score(run: TrainingRun) -> dict:
    """The finished run's held-out MAE (training.rounds.heldout_mae); a reference that cannot be
    read is said on the run's page and does not fail the model it trained."""
    try:
        return rounds.heldout_mae(run)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


@shared_task(name=PreferenceExport.task_name)
def make_export(export_id: int) -> None:
    token = PreferenceExport.claim_for_work(export_id)
    if token is None:
        return
    try:
        with heartbeat(PreferenceExport, export_id, token):
            services.finish_export(PreferenceExport.objects.get(pk=export_id), token=token)
    except Exception as error:  # the export fails with its reason; its folder is not left half-written
        PreferenceExport.settle(export_id, token, status=Status.FAILED, error=f"{type(error).__name__}: {error}")


@shared_task(name="training.tasks.reconcile_runs")
def reconcile_runs(older_than_s: float | None = None) -> dict:
    """Periodic (Celery beat): exports and runs that lost their worker (running, heartbeat
    stale) are pending again and re-enqueued, or failed with the reason once their tries are
    used up; those pending longer than `older_than_s` (a lost message) are re-enqueued."""
    older_than_s = settings.RECONCILE_AFTER_S if older_than_s is None else older_than_s
    totals = {"failed": 0, "restarted": 0, "sent": 0}
    for model in (PreferenceExport, TrainingRun):
        lost = model.objects.filter(status=Status.RUNNING, heartbeat_at__lt=stale_before())
        gone = f"its worker was lost {settings.JOB_MAX_ATTEMPTS} times (no heartbeat for {settings.JOB_STALE_S} s)"
        totals["failed"] += lost.filter(attempts__gte=settings.JOB_MAX_ATTEMPTS).update(
            status=Status.FAILED, claim=None, error=gone, **({"finished_at": timezone.now()} if model is TrainingRun
                                                              else {}))
        totals["restarted"] += lost.update(status=Status.PENDING, claim=None)
        waited = timezone.now() - timedelta(seconds=older_than_s)
        waiting = model.objects.filter(Q(updated_at__lte=waited) | Q(attempts__gt=0), status=Status.PENDING)
        if model is TrainingRun:
            waiting = waiting.filter(cancel_requested=False)
        for pk in waiting.values_list("pk", flat=True):
            current_app.send_task(model.task_name, args=[pk])
            totals["sent"] += 1
    return totals
