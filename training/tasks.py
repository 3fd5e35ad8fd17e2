"""The DPO run task (queue `training`): claims the run's row, trains with the ML core, and
writes its log records to the row as they come, so the run's page shows them live."""
from pathlib import Path

from celery import shared_task
from django.utils import timezone

from dser.jobs import Status
from emotion.dpo import DPOConfig, train_dpo
from training.models import TrainingRun


@shared_task(name="training.tasks.train_dpo_run")
def train_dpo_run(run_id: int) -> None:
    if not TrainingRun.objects.filter(pk=run_id, status=Status.PENDING).update(status=Status.RUNNING):
        return  # cancelled before it started, or already taken
    run = TrainingRun.objects.select_related("export").get(pk=run_id)
    history = []

    def record(entry: dict) -> None:
        history.append(entry)
        TrainingRun.objects.filter(pk=run_id).update(history=history)

    def should_stop() -> bool:
        return TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()

    config = DPOConfig(beta=run.beta, lr=run.lr, epochs=run.epochs, batch_size=run.batch_size)
    try:
        result = train_dpo(Path(run.export.triplets_path), Path(run.init_checkpoint), Path(run.directory), config,
                           progress=False, on_record=record, should_stop=should_stop)
    except Exception as error:  # the run fails with its reason; the worker goes on
        TrainingRun.objects.filter(pk=run_id).update(status=Status.FAILED, error=f"{type(error).__name__}: {error}",
                                                     finished_at=timezone.now())
        return
    TrainingRun.objects.filter(pk=run_id).update(status=Status.CANCELLED if result["stopped"] else Status.DONE,
                                                 finished_at=timezone.now())
