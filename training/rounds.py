"""Rounds of human feedback (iterative, on-policy DPO): a round's render batch is judged up to
its budget, exported (an export limited to that batch), and trained on; the next round's batch
compares candidates of the model that run made (`schedule_renders --policy`), and its DPO run
starts from that model and compares with it (`--reference`). The web's "next round" and
`manage.py next_round` both come here."""
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.db import transaction

from annotator.models import Judgment
from dser.jobs import Status
from emotion.evaluate import mae_rows
from rendering.options import ScheduleOptions
from rendering.scheduling import schedule_batch
from training.models import Round, TrainingRun


@transaction.atomic
def start_next_round(run: TrainingRun, options: ScheduleOptions, same_clips: bool = False, created_by=None) -> Round:
    """The round after `run`: a render batch of candidates from the run's model (`options`
    choose the clips, budget, candidates and temperature; with `same_clips`, the clips of the
    round the run was trained on), recorded with the round before it (recorded now as a first
    round if it was not yet). ValueError, and nothing made, if the run has not finished or
    its export is not limited to one render batch (then no round can be told apart)."""
    if run.status != Status.DONE:
        raise ValueError(f"{run} has not finished: a next round needs its model")
    batch_id = run.export.batch_id
    if batch_id is None:
        raise ValueError(f"{run} was trained on export {run.export_id}, which is not limited to one render batch: "
                         "export the round's batch (--batch) and train on that")
    previous, _ = Round.objects.get_or_create(batch_id=batch_id, defaults={"created_by": created_by})
    if same_clips:
        options = replace(options, clip_ids=tuple(previous.batch.batch_clips.values_list("clip_id", flat=True)),
                          dataset="", split="", limit=None)
    batch = schedule_batch(replace(options, policy=run.directory, checkpoint=""), created_by=created_by)
    return Round.objects.create(batch=batch, from_run=run, created_by=created_by)


def round_rows() -> list[dict]:
    """Every round, newest first, with its figures: judgments against its budget, exports and
    their triplets, runs with their held-out MAE (DSER_HELDOUT_REFERENCE)."""
    rows = []
    for round_ in Round.objects.select_related("batch", "from_run__export"):
        rows.append({"round": round_, "number": round_.number, "batch": round_.batch,
                     "judgments": Judgment.objects.filter(comparison__batches=round_.batch).count(),
                     "exports": list(round_.exports()), "runs": list(round_.runs()),
                     "next_rounds": list(Round.objects.filter(from_run__in=round_.runs()))})
    return rows


def heldout_mae(run: TrainingRun) -> dict:
    """The run's model and its init scored on DSER_HELDOUT_REFERENCE's true timelines:
    {init, run}; {} when none is set."""
    if not settings.HELDOUT_REFERENCE:
        return {}
    rows = mae_rows([Path(run.init_checkpoint), Path(run.directory)], Path(settings.HELDOUT_REFERENCE), progress=False)
    return {"init": rows[0]["mae"], "run": rows[1]["mae"], "clips": rows[0]["n"]}
