"""The study's rounds (issue 30): does feedback on the model being trained (on-policy) improve
it round after round, more than as much feedback on stage-1 sliding windows (off-policy)?

Round 1 is the main round (sliding-window pairs, annotators wrong on 15% of close calls, one
always "left"), DPO from each stage-2 model. Then, per loss and seed, two more rounds each way
(`Scale.extra_rounds`; --quick: one, on a few clips),
every round judged by the same team up to the main round's judgments:
  on-policy   a render batch of the last round's model's candidates (`--policy`: its
              prediction and draws), judged, exported by its batch, DPO from that model with
              it as the reference (iterative DPO);
  off-policy  a render batch of sliding windows drawn with another seed (shared by every loss
              and seed), judged and exported the same way, DPO from the last off-policy model.
Held-out MAE after every round. Only the round's batch is served (the others' budgets are
marked spent). Import after django.setup().
"""
from dataclasses import replace
from pathlib import Path

from django.utils import timezone

from annotator.models import Judgment
from benchmarks.study import app
from benchmarks.study.annotators import annotate_all
from benchmarks.study.evaluation import dpo_run
from dser.records import TRIPLETS_FILE
from rendering.models import RenderBatch
from rendering.options import ScheduleOptions

ARMS = ("on-policy", "off-policy")


def judged_batch(out: Path, name: str, options: ScheduleOptions, budget: int, team: tuple[int, float], truth: dict,
                 env: dict, progress) -> dict:
    """The batch `options` make, judged up to `budget` (only its comparisons served) by a team
    of (honest annotators, their error rate) and one always "left", and exported by its batch
    number; kept in OUT/rounds-study/NAME."""
    from benchmarks.model_quality import cached
    from benchmarks.processes import free_port, running, start_web

    directory = out / "rounds-study" / name

    def play() -> dict:
        batch = app.render_batch(replace(options, budget=budget), progress)
        app.reset_annotation()
        RenderBatch.objects.filter(dataset=app.DATASET).exclude(pk=batch.pk).update(budget_spent_at=timezone.now())
        RenderBatch.objects.filter(pk=batch.pk).update(budget_spent_at=None)
        port = free_port()
        with running(start_web(env, port, workers=2, log=out / "logs" / f"web-{name}.log")):
            annotate_all(app.make_team(f"round-{name}", *team, seed=0), f"http://127.0.0.1:{port}",
                         app.comparison_errors(truth), budget, app.stretch_errors(truth))
        spent = Judgment.objects.filter(comparison__batches=batch).count()
        return {"batch": batch.pk, "judgments": spent, **app.export_round(directory / "export", batch=batch.pk)}

    result = cached(directory / "round.json", play)
    progress(f"round {name}: {result['judgments']} judgments, {result['triplets']} triplets")
    return result


def rounds_study(out: Path, scale, runs: list[dict], lrs: dict, held_out, env: dict, truth: dict, render_model: Path,
                 main_round: dict, dpo_config, progress) -> dict:
    """Held-out MAE after each round (0: the seq2seq init, 1: the main round, 2, 3), per loss,
    arm and seed, and each round's batch, judgments and triplets. `main_round`: its
    "judgments" (every later round's budget), "error_rate" and "triplets" (its export)."""
    from benchmarks.model_quality import cached
    from benchmarks.processes import running, start_worker

    budget, team = main_round["judgments"], (scale.annotators, main_round["error_rate"])
    rounds, maes = {}, {}

    def dpo(triplets: Path, run: dict, init: Path, name: str) -> tuple[Path, float]:
        """DPO from `init`, with it as the reference, on `triplets`: its checkpoint (the init
        when nothing was exported) and held-out MAE."""
        directory = out / "rounds-study" / "dpo" / f"{run['loss']}-seed{run['seed']}" / name
        config = replace(dpo_config(lrs[run["loss"]]["chosen"], run["seed"]), reference=str(init))
        result = cached(directory / "result.json", lambda: dpo_run(triplets, init, directory / "checkpoint", config,
                                                                    held_out) if triplets.read_text().strip()
                        else {"mae": held_out.mae(init), "train_pairs": 0})
        return (directory / "checkpoint" if result["train_pairs"] else init), result["mae"]

    def next_batch(arm: str, run: dict, model: Path, number: int) -> tuple[str, ScheduleOptions]:
        options = ScheduleOptions(controls=scale.controls, overlap=scale.overlap, limit=scale.round_clips)
        if arm == "on-policy":
            return f"on-{run['loss']}-seed{run['seed']}-r{number}", replace(options, policy=str(model))
        return f"off-r{number}", replace(options, checkpoint=str(render_model), seed=number)

    def play(run: dict, arm: str, first: Path, curve: list[float]) -> list[float]:
        model = first
        for number in scale.extra_rounds:
            name, options = next_batch(arm, run, model, number)
            rounds[name] = judged_batch(out, name, options, budget, team, truth, env, progress)
            model, mae = dpo(out / "rounds-study" / name / "export" / TRIPLETS_FILE, run, model, f"{arm}-r{number}")
            curve = [*curve, mae]
        progress(f"{run['loss']} seed {run['seed']} {arm}: held-out MAE by round {curve}")
        return curve

    with running(start_worker(env, "study-rounds", "default,inference,render", 2, out / "logs" / "worker-rounds.log")):
        for run in runs:
            stage2 = out / "models" / f"{run['loss']}-seed{run['seed']}" / "stage2"
            first, first_mae = dpo(main_round["triplets"], run, stage2, "r1")
            for arm in ARMS:
                curve = play(run, arm, first, [run["stage2_mae"], first_mae])
                maes.setdefault(run["loss"], {}).setdefault(arm, []).append(curve)
    return {"budget": budget, "rounds": rounds, "arms": list(ARMS), "maes": maes}
