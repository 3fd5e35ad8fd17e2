"""The whole loop, measured: does this system reproduce the paper's Table 3 ordering (sliding
window > seq2seq > seq2seq + DPO, in MAE to the truth) end to end, on a corpus with known truth?

    .venv/bin/python -m benchmarks.study [--quick] [--out var/study] [--seeds 3]     (make study)

1. Corpora (project generator): utterances and dialogues in the training voices for stages 1
   and 2; MELD-layout dialogue clips for stage 3 and validation clips in the annotation voices,
   which stages 1 and 2 never hear (as the paper's MELD is new to its models); held-out
   utterances and dialogues in voices no training stage hears, with true timelines.
2. Per loss (ce, dirichlet) and seed: stage 1, label-windows, stage 2 (benchmarks/model_quality.py).
3. Stage 3 through the product, in the database the environment names (default: a SQLite file
   in OUT/app): the clips imported, one render batch on a Celery worker (sequences from the ce
   seed-0 stage-1 model, --quick: the embedded one; avatar videos; comparisons with controls;
   overlap 3), simulated annotators judging through the API (gunicorn) in three rounds, 0%, 30%
   and 15% of answers wrong on close calls, one always-left annotator each; each round exported
   with the agreement and control filters.
4. DPO's learning rate per loss, chosen on validation clips (annotation-voice dialogues
   whose truth no stage used). DPO from every stage-2 model at β 0.01, 0.1, 0.5 and 10 on the 15%
   round, and at β 0.5 on the others; each measured on the held-out clips. Each DPO run
   compares its model's own log-likelihood; on the ce row, the paper's (the Dirichlet density)
   too. One more run from the web app (a `training` worker).
5. OUT/report.md with the paper's tables beside ours, and plots.

Every stage's result is kept in OUT; a second run resumes after the last finished one.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.model_quality import LOSSES, baseline_accuracy, cached, make_model_corpora, run_all
from dser.files import write_text_atomic
from dser.records import TRIPLETS_FILE
from emotion.defaults import DEFAULT_STAGE1
from rendering.options import ScheduleOptions

BETAS = (0.01, 0.1, 0.5, 10.0)
MAIN_BETA = 0.5
ERROR_RATES = (0.0, 0.15, 0.3)
MAIN_ERROR = 0.15
# DPO compares each model's own log-likelihood (emotion.dpo, "auto"); on the ce row the
# paper's, the Dirichlet density, is tried too (at the main β and error rate).
PAPER_LIKELIHOOD = "dirichlet"
PAPER_LIKELIHOOD_RUN = f"e{MAIN_ERROR:g}-beta{MAIN_BETA:g}-likelihood-{PAPER_LIKELIHOOD}"
POLICY_LOSS = "dirichlet"  # the policy rounds' DPO: it gains there; on the ce row its gain is within a seed's spread


@dataclass
class Scale:
    clips: int  # stage-3 dialogue clips
    render_size: int
    annotators: int  # honest ones per round, beside the always-left one
    overlap: int
    controls: float
    dpo_epochs: int
    dpo_lrs: tuple[float, ...]  # DPO's learning rate is chosen among these per loss, on the validation clips
    validation_clips: int  # annotation-voice dialogues whose truth no stage used: DPO's lr is chosen on them
    vote_shares: tuple[float, ...]  # of the main round's judgments, for the judgments-against-gain table
    round_clips: int | None  # of the stage-3 clips, in each later round's batch (None: all)
    extra_rounds: tuple[int, ...]  # the rounds after the main one (issue 30's table)
    round_losses: tuple[str, ...]  # whose models play those rounds
    watch_share: float  # the server's minimum watch share in the policy rounds: a simulated clock runs fast


FULL = Scale(clips=100, render_size=128, annotators=4, overlap=3, controls=0.3, dpo_epochs=2,
             dpo_lrs=(1e-5, 3e-5, 1e-4, 3e-4), validation_clips=60, vote_shares=(1 / 8, 1 / 4, 1 / 3, 1 / 2, 1.0),
             round_clips=None, extra_rounds=(2, 3), round_losses=LOSSES, watch_share=0.1)
QUICK = Scale(clips=8, render_size=64, annotators=3, overlap=3, controls=1.0, dpo_epochs=2, dpo_lrs=(1e-4, 3e-4),
              validation_clips=6, vote_shares=(1.0,), round_clips=2, extra_rounds=(2,), round_losses=("dirichlet",),
              watch_share=0.05)


# With --status FILE, each progress line is also kept there as JSON (state, message, time) for
# the web app's study page, which says how far a study running in the background has come.
status_file: Path | None = None


def progress(message: str, state: str = "running") -> None:
    print(f"[study {time.strftime('%H:%M:%S')}] {message}", flush=True)
    if status_file:
        write_text_atomic(status_file, json.dumps({"state": state, "message": message, "at": time.time()}))


def make_corpora(out: Path, scale: Scale, quick: bool) -> tuple[Path, Path]:
    """(the stage-3 clips, the validation clips)."""
    models, stage3, validation = out / "models", out / "stage3", out / "validation"
    started, made = time.perf_counter(), False
    if not (models / "test" / "reference.jsonl").is_file():
        made = True
        progress("corpora for stages 1 and 2, and the held-out clips")
        make_model_corpora(models, quick)
    for directory, clips, seed, wav in ((stage3, scale.clips, 2, False), (validation, scale.validation_clips, 3, True)):
        if not (directory / ("reference.jsonl" if wav else "meld/timelines.json")).is_file():
            made = True
            progress(f"{clips} dialogue clips in the annotation voices ({directory.name})")
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "make_demo_corpus", str(directory), "--clips",
                            str(clips), "--voices", "0", "--seed", str(seed), "--voice-set", "annotation",
                            "--source-csv", str(ROOT / "corpus/data/meld/test_sent_emo.csv"), "-v", "0"]
                           + ["--with-wav"] * wav, check=True, cwd=ROOT)
    if made:
        (out / "corpora.json").write_text(json.dumps({"seconds": time.perf_counter() - started}))
    return stage3, validation / "reference.jsonl"


def configure_django(out: Path, scale: Scale) -> dict:
    """The app's settings from the environment; what it leaves unset, the study's own: a SQLite
    database and media in OUT/app, Redis database 13 (away from a running deployment's)."""
    os.environ.setdefault("DSER_VAR_DIR", str(out / "app"))
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    # The error-rate rounds are judged as before issue 28 (the policy rounds set their own).
    os.environ.setdefault("DSER_QUALIFY_CONTROLS", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dser.settings")
    os.environ.update(HF_HUB_OFFLINE="1", DSER_RENDER_SIZE=str(scale.render_size), LOG_LEVEL="WARNING")
    Path(os.environ["DSER_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return dict(os.environ)


def run_stage3(out: Path, scale: Scale, stage3: Path, render_model: Path, web_init: Path | None, env: dict,
               error_rates: tuple[float, ...] = (0.0, 0.3, MAIN_ERROR)) -> dict:
    """The render batch, the annotation round at each of `error_rates` (the main round last: it
    stays in the database) and, from `web_init`, one DPO run through the web app."""
    from benchmarks.processes import free_port, running, start_web, start_worker
    from benchmarks.study import app
    from benchmarks.study.annotators import annotate_all
    from corpus.sources.demo import DemoCorpus

    corpus = DemoCorpus(stage3)
    log_dir = out / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with running(start_worker(env, "study", "default,inference,render,training", 2, log_dir / "worker.log")):
        def render() -> dict:
            imported = app.import_study_clips(corpus)
            batch = app.render_batch(ScheduleOptions(checkpoint=str(render_model), controls=scale.controls,
                                                     overlap=scale.overlap), progress)
            return {"batch": batch.pk, "clips": imported, "comparisons": batch.comparisons.count()}

        rendered = cached(out / "render.json", render)
        progress(f"render batch {rendered['batch']}: {rendered['comparisons']} comparisons")
        rounds = {}
        todo = [e for e in error_rates if not (out / "rounds" / f"e{e:g}" / "round.json").is_file()]
        truth = app.truth_of(corpus) if todo else {}
        errors, stretch_errors = (app.comparison_errors(truth), app.stretch_errors(truth)) if todo else ({}, {})
        port = free_port()
        with running(start_web(env, port, workers=2, log=log_dir / "web.log")) if todo else nullcontext():
            for error_rate in error_rates:
                directory = out / "rounds" / f"e{error_rate:g}"

                def annotate_round() -> dict:
                    app.reset_annotation()
                    team = app.make_team(f"sim-e{error_rate * 100:.0f}", scale.annotators, error_rate, seed=0)
                    annotate_all(team, f"http://127.0.0.1:{port}", errors, stretch_errors=stretch_errors)
                    return {"annotation": app.round_figures(team), "export": app.export_round(directory / "export")}

                rounds[f"e{error_rate:g}"] = cached(directory / "round.json", annotate_round)
                figures = rounds[f"e{error_rate:g}"]["annotation"]
                progress(f"annotators {error_rate:.0%} wrong: {figures['judgments']} judgments, "
                         f"{rounds[f'e{error_rate:g}']['export']['triplets']} triplets exported")
        if web_init is None:
            return {"render": rendered, "rounds": rounds}
        main_export = rounds[f"e{MAIN_ERROR:g}"]["export"]["export"]
        web_run = cached(out / "web_run.json", lambda: app.web_dpo_run(
            main_export, web_init, MAIN_BETA, scale.dpo_lrs[0], scale.dpo_epochs, progress))
        progress(f"web-app DPO run {web_run['run']}: done, curves in {web_run['directory']}")
    return {"render": rendered, "rounds": rounds, "web_run": web_run}


def dpo_config(scale: Scale, beta: float, lr: float, seed: int, likelihood: str = "auto"):
    from emotion.dpo import DPOConfig

    return DPOConfig(beta=beta, lr=lr, epochs=scale.dpo_epochs, batch_size=4, val_fraction=0.0, seed=seed,
                     likelihood=likelihood)


def round_triplets(out: Path, error_rate: float) -> Path:
    return out / "rounds" / f"e{error_rate:g}" / "export" / TRIPLETS_FILE


def choose_lr(out: Path, scale: Scale, loss: str, validation, likelihood: str = "auto") -> dict:
    """DPO's learning rate for `loss`: the one of `scale.dpo_lrs` whose seed-0 run has the lowest
    MAE on the validation clips (annotation voices; their truth no stage used; not the held-out
    clips)."""
    from benchmarks.study.evaluation import dpo_run

    init = out / "models" / f"{loss}-seed0" / "stage2"
    name = loss if likelihood == "auto" else f"{loss}-likelihood-{likelihood}"

    def search() -> dict:
        maes = {f"{lr:g}": dpo_run(round_triplets(out, MAIN_ERROR), init, out / "dpo" / "lr-search" / f"{name}-{lr:g}",
                                   dpo_config(scale, MAIN_BETA, lr, 0, likelihood), validation)["mae"]
                for lr in scale.dpo_lrs}
        return {"seq2seq": validation.mae(init), "maes": maes, "chosen": float(min(maes, key=maes.get))}

    chosen = cached(out / "dpo" / f"lr-{name}.json", search)
    progress(f"{name}: DPO lr {chosen['chosen']:g} (validation MAE {chosen['maes']}, seq2seq {chosen['seq2seq']:.4f})")
    return chosen


def dpo_sweep(out: Path, scale: Scale, run: dict, lr: float, held_out) -> dict:
    """DPO from this loss and seed's stage-2 model: every β on the main round, the main β on the others."""
    from benchmarks.study.evaluation import dpo_run

    init = out / "models" / f"{run['loss']}-seed{run['seed']}" / "stage2"
    settings = [(MAIN_ERROR, beta) for beta in BETAS] + [(e, MAIN_BETA) for e in ERROR_RATES if e != MAIN_ERROR]
    results = {}
    for error_rate, beta in settings:
        name = f"e{error_rate:g}-beta{beta:g}"
        directory = out / "dpo" / f"{run['loss']}-seed{run['seed']}" / f"lr{lr:g}" / name
        results[name] = cached(directory / "result.json", lambda: dpo_run(
            round_triplets(out, error_rate), init, directory / "checkpoint",
            dpo_config(scale, beta, lr, run["seed"]), held_out))
        progress(f"{run['loss']} seed {run['seed']}, DPO β {beta:g} on the {error_rate:.0%} round: held-out MAE "
                 f"{results[name]['mae']:.4f} (seq2seq {run['stage2_mae']:.4f}), reward accuracy "
                 f"{results[name]['reward_accuracy']:.3f}")
    return results


def paper_likelihood_runs(out: Path, scale: Scale, runs: list[dict], validation, held_out) -> dict:
    """The ce row's DPO on the paper's likelihood instead of its own, at the main β and error
    rate, its learning rate chosen the same way; kept in each ce run's "dpo" results."""
    from benchmarks.study.evaluation import dpo_run

    choice = choose_lr(out, scale, "ce", validation, PAPER_LIKELIHOOD)
    lr = choice["chosen"]
    for run in (r for r in runs if r["loss"] == "ce"):
        directory = out / "dpo" / f"ce-seed{run['seed']}" / f"lr{lr:g}" / PAPER_LIKELIHOOD_RUN
        result = cached(directory / "result.json", lambda: dpo_run(
            round_triplets(out, MAIN_ERROR), out / "models" / f"ce-seed{run['seed']}" / "stage2",
            directory / "checkpoint", dpo_config(scale, MAIN_BETA, lr, run["seed"], PAPER_LIKELIHOOD), held_out))
        run["dpo"][PAPER_LIKELIHOOD_RUN] = result
        progress(f"ce seed {run['seed']}, DPO on the {PAPER_LIKELIHOOD} likelihood: held-out MAE {result['mae']:.4f}")
    return choice


def main_dpo(out: Path, scale: Scale, lrs: dict, held_out):
    """DPO as the policy and segment tables run it: from a run's stage-2 model, at the main β
    and its loss's chosen learning rate, measured on the held-out clips."""
    from benchmarks.study.evaluation import dpo_run

    def dpo(triplets: Path, run: dict, directory: Path) -> dict:
        init = out / "models" / f"{run['loss']}-seed{run['seed']}" / "stage2"
        return dpo_run(triplets, init, directory, dpo_config(scale, MAIN_BETA, lrs[run["loss"]]["chosen"], run["seed"]),
                       held_out)

    return dpo


def run_policies(out: Path, scale: Scale, runs: list[dict], lrs: dict, held_out, env: dict, stage3: Path) -> dict:
    """Issue 28's policy rounds (benchmarks/study/policies.py)."""
    from benchmarks.study import app
    from benchmarks.study.policies import policy_study
    from corpus.sources.demo import DemoCorpus

    errors = app.comparison_errors(app.truth_of(DemoCorpus(stage3)))
    runs = [run for run in runs if run["loss"] == POLICY_LOSS]
    return policy_study(out, scale.annotators, scale.watch_share, errors, env, runs, main_dpo(out, scale, lrs, held_out),
                        progress)


def run_rounds(out: Path, scale: Scale, runs: list[dict], lrs: dict, held_out, env: dict, stage3: Path,
               stage3_results: dict, render_model: Path) -> dict:
    """Issue 30's rounds (benchmarks/study/rounds.py), after the main round."""
    from benchmarks.study import app
    from benchmarks.study.rounds import rounds_study
    from corpus.sources.demo import DemoCorpus

    main_round = {"judgments": stage3_results["rounds"][f"e{MAIN_ERROR:g}"]["annotation"]["judgments"],
                  "error_rate": MAIN_ERROR, "triplets": round_triplets(out, MAIN_ERROR)}
    runs = [run for run in runs if run["loss"] in scale.round_losses]
    return rounds_study(out, scale, runs, lrs, held_out, env, app.truth_of(DemoCorpus(stage3)), render_model,
                        main_round, lambda lr, seed: dpo_config(scale, MAIN_BETA, lr, seed), progress)


def timings(out: Path, runs: list[dict]) -> dict[str, float | None]:
    """Seconds each stage took when it ran, from the results kept in OUT."""
    def total(*patterns: str) -> float | None:
        """None when a result was kept without its time (by an older version of this script)."""
        seconds = [json.loads(path.read_text()).get("seconds") for pattern in patterns for path in out.glob(pattern)]
        return None if None in seconds else sum(seconds)

    return {"corpora": total("corpora.json"),
            "stage 1 (and the baseline)": total("models/*.json", "models/*/stage1.json"),
            "label windows + stage 2": total("models/*/stage2.json"), "render batch": total("render.json"),
            "annotation rounds + exports": total("rounds/*/round.json"), "held-out triplets": total("heldout.json"),
            "DPO lr choice": total("dpo/lr-*.json"),
            "DPO runs": sum(result["seconds"] for run in runs for result in run["dpo"].values()),
            "policy rounds + exports": total("policies/*/round.json"),
            "segment-vote DPO runs": total("segments/dpo/*/*/result.json"),
            "policy DPO runs": total("policies/dpo/*/*/result.json"),
            "later rounds (render, judgments, export)": total("rounds-study/*/round.json"),
            "later rounds' DPO runs": total("rounds-study/dpo/*/*/result.json"),
            "web-app DPO run": total("web_run.json")}


def main() -> None:
    global status_file
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "study")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="every stage at toy size: a smoke run, not a measurement")
    parser.add_argument("--render-size", type=int, help="video size in pixels (default 128; 64 with --quick)")
    parser.add_argument("--policies-only", action="store_true",
                        help="only what the policy table needs: the render model, the policy loss's models, its "
                             "learning rate from the main round, the policy rounds (no other rounds, no DPO sweeps)")
    parser.add_argument("--segments-only", action="store_true",
                        help="only what the judgments-against-gain table needs: the render model, both losses' "
                             "models, their learning rates from the main round, the segment table (no other rounds, "
                             "no DPO sweeps, no policy rounds)")
    parser.add_argument("--rounds-only", action="store_true",
                        help="only what the rounds table needs: the render model, both losses' models, their learning "
                             "rates from the main round, the on- and off-policy rounds after it")
    parser.add_argument("--losses", type=lambda text: tuple(text.split(",")), default=LOSSES, metavar="ce,dirichlet",
                        help="whose models to train over the seeds (the ce seed-0 model, which makes the sequences, "
                             "always); with --segments-only its table has a row for each loss trained")
    parser.add_argument("--jobs", type=int, default=1,
                        help="stage-1 and stage-2 trainings at a time, each on its share of the cores (on 2 cores, "
                             "one at a time was the faster here: 23 s per stage-1 epoch alone, 57 s each two at a time)")
    parser.add_argument("--status", type=Path, metavar="FILE",
                        help="also keep the latest progress line here, as JSON (the web app's study page reads it)")
    args = parser.parse_args()
    if set(args.losses) - set(LOSSES):
        parser.error(f"--losses takes {', '.join(LOSSES)}")
    if args.losses != LOSSES and not (args.segments_only or args.rounds_only):
        parser.error("--losses is for --segments-only and --rounds-only: every other table compares both losses")
    if args.policies_only + args.segments_only + args.rounds_only > 1:
        parser.error("--policies-only, --segments-only and --rounds-only are parts: run them one after the other")
    status_file = args.status
    try:
        run(args)
    except BaseException as error:
        progress(f"failed: {type(error).__name__}: {error}", state="failed")
        raise


def run(args) -> None:
    os.environ.setdefault("DEBUG", "1")  # a local run: plain HTTP, a generated key (the commands it starts too)
    out, scale = args.out.resolve(), QUICK if args.quick else FULL
    if args.render_size:
        scale.render_size = args.render_size
    started = time.perf_counter()
    stage3, validation_reference = make_corpora(out, scale, args.quick)
    models = out / "models"
    baseline = baseline_accuracy(models)
    # The policy table needs the render model (ce seed 0) and the policy loss's models alone.
    losses = (POLICY_LOSS,) if args.policies_only else args.losses
    pairs = [(loss, seed) for loss in losses for seed in range(args.seeds)]
    runs = run_all(models, sorted({("ce", 0), *pairs}), args.quick, jobs=args.jobs)
    env = configure_django(out, scale)
    # Controls assume the model's sequence beats its least likely emotion held: a toy model's need not.
    render_model = DEFAULT_STAGE1 if args.quick else models / "ce-seed0" / "stage1"
    one_table = args.policies_only or args.segments_only or args.rounds_only  # the main round alone, no web-app run
    stage3_results = run_stage3(out, scale, stage3, render_model, None if one_table else
                                models / "ce-seed0" / "stage2", env, (MAIN_ERROR,) if one_table else
                                (0.0, 0.3, MAIN_ERROR))

    from benchmarks.study.evaluation import HeldOut, write_heldout_triplets
    from benchmarks.study.report import ordering_line, write_report

    held_out_file = out / "heldout_triplets.jsonl"
    cached(out / "heldout.json", lambda: {"triplets": write_heldout_triplets(
        render_model, models / "test" / "reference.jsonl", held_out_file)})
    held_out = HeldOut(models / "test" / "reference.jsonl", held_out_file)
    validation = HeldOut(validation_reference)
    if not args.segments_only:  # the segment table takes every model trained, the render model's seed too
        runs = [run for run in runs if (run["loss"], run["seed"]) in pairs]
    lrs = {loss: choose_lr(out, scale, loss, validation) for loss in sorted({run["loss"] for run in runs})}
    if args.policies_only:
        policies = run_policies(out, scale, runs, lrs, held_out, env, stage3)
        return write_one_table(out, args, "policies", {"runs": runs, "dpo_lr": lrs, "policies": policies}, started)
    from benchmarks.study.segment_votes import segment_study  # while the main round's votes are the app's

    if args.segments_only:
        segments = segment_study(out, scale.vote_shares, runs, main_dpo(out, scale, lrs, held_out), progress)
        return write_one_table(out, args, "segments", {"runs": runs, "dpo_lr": lrs, "segments": segments}, started)
    if args.rounds_only:
        rounds = run_rounds(out, scale, runs, lrs, held_out, env, stage3, stage3_results, render_model)
        return write_one_table(out, args, "rounds", {"runs": runs, "dpo_lr": lrs, "on_policy": rounds}, started)
    for run in runs:
        run["dpo"] = dpo_sweep(out, scale, run, lrs[run["loss"]]["chosen"], held_out)
    paper_likelihood_lr = paper_likelihood_runs(out, scale, runs, validation, held_out)
    segments = segment_study(out, scale.vote_shares, runs, main_dpo(out, scale, lrs, held_out), progress)
    policies = run_policies(out, scale, runs, lrs, held_out, env, stage3)
    # --quick leaves the rounds out (they would add half again to the test run's study);
    # `--rounds-only --quick` plays them at toy size.
    rounds = None if args.quick else run_rounds(out, scale, runs, lrs, held_out, env, stage3, stage3_results,
                                                render_model)
    results = {"command": "python -m benchmarks.study" + scale_flags(args),
               "losses": list(LOSSES), "betas": list(BETAS), "error_rates": list(ERROR_RATES),
               "main_beta": MAIN_BETA, "main_error": MAIN_ERROR, "overlap": scale.overlap,
               "baseline_accuracy": baseline, "dpo_lr": lrs, "paper_likelihood": {
                   "likelihood": PAPER_LIKELIHOOD, "run": PAPER_LIKELIHOOD_RUN, "lr": paper_likelihood_lr},
               "runs": runs, **stage3_results, "segments": segments, "policies": policies,
               **({"on_policy": rounds} if rounds else {}),
               "timings": timings(out, runs)}
    results["seconds"] = sum(filter(None, results["timings"].values()))
    (out / "results.json").write_text(json.dumps(results, indent=1))
    report = write_report(results, out)
    from benchmarks.study.app import publish_report

    publish_report(report)
    progress(f"this run {time.perf_counter() - started:.0f} s; all stages {results['seconds']:.0f} s; report {report}",
             state="done")
    print(ordering_line(results, MAIN_BETA, MAIN_ERROR))


def scale_flags(args) -> str:
    """The flags that set the study's size, as its report's command line repeats them."""
    size = f" --render-size {args.render_size}" if args.render_size else ""
    return " --quick" * args.quick + f" --seeds {args.seeds}" + size


def write_one_table(out: Path, args, table: str, results: dict, started: float) -> None:
    """OUT/TABLE.json and OUT/TABLE.md: one table alone (--policies-only, --segments-only,
    --rounds-only), with its plot."""
    from benchmarks.study.policy_report import plot_policy_gains, policy_section
    from benchmarks.study.rounds_report import plot_rounds, rounds_section
    from benchmarks.study.segment_report import plot_segment_gains, segment_section

    section, plot = {"policies": (policy_section, plot_policy_gains), "segments": (segment_section, plot_segment_gains),
                     "rounds": (rounds_section, plot_rounds)}[table]
    command = f"python -m benchmarks.study --{table}-only" + scale_flags(args) + \
        (f" --losses {','.join(args.losses)}" if args.losses != LOSSES else "")
    results = {"command": command, **results, "seconds": time.perf_counter() - started}
    (out / f"{table}.json").write_text(json.dumps(results, indent=1))
    plot(results, out / "plots")
    report = out / f"{table}.md"
    write_text_atomic(report, f"`{command}`\n\n{section(results)}\n")
    progress(f"this run {results['seconds']:.0f} s; report {report}", state="done")


if __name__ == "__main__":
    main()
