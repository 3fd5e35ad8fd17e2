"""Do the embedded recipes earn their cost? Stage 1 against the classical baseline, stage 2
against the sliding window it learns from, on voices that no training step heard: both
losses (the paper's Table 2 and Table 3 rows), several seeds.

    .venv/bin/python benchmarks/model_quality.py [--seeds 3] [--jobs 2] [--out var/model-quality] [--quick]
    .venv/bin/python benchmarks/model_quality.py --voices 4,6,12,24 [--shared-sentences] [--fixed-prosody]
        the corpus-size sweep (benchmarks/corpus_sizes.py), in OUT/sweep-STYLE

1. The corpora of scripts/make_model_corpora.sh: training utterances and dialogues in the
   training voices; held-out utterances and dialogues (other MELD lines, true timelines) in
   the held-out voices.
2. Per loss (ce, dirichlet) and seed: train-ser --preset small; label-windows over the
   training dialogues; train-seq --preset small from that stage-1 model, same loss.
3. Accuracy on the held-out utterances beside the classical baseline trained on the same
   utterances; MAE to the true timelines of the held-out dialogues for the 1.4 s / 1.0 s
   sliding window (stage 1) and for stage 2.

Runs go `--jobs` at a time, each on its share of the cores (two runs on one thread each
finish sooner than one after the other on two). Finished runs are kept in OUT and not redone.
Prints mean ± standard deviation over seeds; the last line holds the figures the issue names.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dser.files import write_text_atomic
from emotion.evaluate import accuracy_rows, mae_rows
from emotion.stage1 import STAGE1_PRESETS, train_ser
from emotion.stage2 import STAGE2_PRESETS, label_windows, train_seq

LOSSES = ("ce", "dirichlet")


def make_model_corpora(work: Path, quick: bool) -> None:
    """The training and held-out corpora (scripts/make_model_corpora.sh), made by this
    interpreter, whatever environment it is (a venv, an image, conda)."""
    subprocess.run([str(ROOT / "scripts" / "make_model_corpora.sh"), str(work)] + ["--quick"] * quick, check=True,
                   env={**os.environ, "PYTHON": sys.executable})


def cached(path: Path, compute) -> dict:
    """`compute()`'s result and the seconds it took, kept in `path`: an interrupted benchmark
    resumes where it stopped."""
    if not path.is_file():
        started = time.perf_counter()
        result = {**compute(), "seconds": time.perf_counter() - started}
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(result, indent=1))
    return json.loads(path.read_text())


class Corpora(NamedTuple):
    """Where one run's corpora lie: each has crema_d/, dialogue_wav/ and reference.jsonl."""
    train: Path
    test: Path


def stage1_run(corpora: Corpora, run: Path, loss: str, seed: int, quick: bool) -> dict:
    def train() -> dict:
        config = replace(STAGE1_PRESETS["small"], loss=loss, seed=seed, **({"epochs": 2} if quick else {}))
        train_ser([corpora.train / "crema_d"], run / "stage1", config, progress=False)
        return {"accuracy": accuracy_rows([run / "stage1"], [corpora.test / "crema_d"], progress=False)[0]["accuracy"]}

    result = cached(run / "stage1.json", train)
    print(f"{run}: stage-1 accuracy {result['accuracy']:.3f}", flush=True)
    return result


def stage2_run(corpora: Corpora, run: Path, loss: str, seed: int, quick: bool) -> dict:
    """Stage 2 from that stage-1 model, same loss; both against the true timelines."""
    stage1 = run / "stage1"

    def train() -> dict:
        label_windows(stage1, corpora.train / "dialogue_wav", run / "targets.jsonl", progress=False)
        config = replace(STAGE2_PRESETS["small"], init=str(stage1), loss=loss, seed=seed,
                         **({"epochs": 2} if quick else {}))
        train_seq(run / "targets.jsonl", run / "stage2", config, progress=False)
        rows = mae_rows([stage1, run / "stage2"], corpora.test / "reference.jsonl", progress=False)
        return {"sliding_mae": rows[0]["mae"], "stage2_mae": rows[1]["mae"]}

    result = cached(run / "stage2.json", train)
    print(f"{run}: MAE sliding window {result['sliding_mae']:.4f}, stage 2 {result['stage2_mae']:.4f}", flush=True)
    return result


class RunSpec(NamedTuple):
    """One row of a table: stage 1 on `corpora`, then stage 2 from it, kept in `run`."""
    corpora: Corpora
    run: Path
    loss: str
    seed: int


def loss_seed_run(spec: RunSpec, quick: bool) -> dict:
    """Stage 1, then stage 2 from it; its seconds are both stages'."""
    stage1 = stage1_run(spec.corpora, spec.run, spec.loss, spec.seed, quick)
    stage2 = stage2_run(spec.corpora, spec.run, spec.loss, spec.seed, quick)
    return {"loss": spec.loss, "seed": spec.seed, **stage1, **stage2, "seconds": stage1["seconds"] + stage2["seconds"]}


def run_specs(specs: list[RunSpec], quick: bool, jobs: int) -> list[dict]:
    """Every run, `jobs` at a time, each on its share of the cores."""
    if jobs == 1:
        return [loss_seed_run(spec, quick) for spec in specs]
    threads = max(1, (os.cpu_count() or 1) // jobs)
    # spawn, not fork: a forked child inherits the parent's OpenMP state and can hang in torch.
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=torch.set_num_threads,
                             initargs=(threads,)) as pool:
        futures = [pool.submit(loss_seed_run, spec, quick) for spec in specs]
        return [future.result() for future in futures]


def run_all(work: Path, runs: list[tuple[str, int]], quick: bool, jobs: int) -> list[dict]:
    """The (loss, seed) runs on the corpora of make_model_corpora, kept in WORK/LOSS-seedSEED."""
    corpora = Corpora(work / "train", work / "test")
    return run_specs([RunSpec(corpora, work / f"{loss}-seed{seed}", loss, seed) for loss, seed in runs], quick, jobs)


def baseline_accuracy(work: Path, corpora: Corpora | None = None) -> float:
    """The classical baseline on `corpora` (default: WORK's train and test), kept in WORK; it
    is deterministic: the same for every model seed."""
    corpora = corpora or Corpora(work / "train", work / "test")
    return cached(work / "baseline.json", lambda: accuracy_rows(
        [], [corpora.test / "crema_d"], progress=False, baseline_data=[corpora.train / "crema_d"])[0])["accuracy"]


def mean_spread(values: list[float]) -> tuple[float, float]:
    """Mean and standard deviation over seeds (0 for a single seed)."""
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def spread(values: list[float], digits: int = 3) -> str:
    mean, deviation = mean_spread(values)
    return f"{mean:.{digits}f} ± {deviation:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (2 on a 2-core machine)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "model-quality")
    parser.add_argument("--quick", action="store_true", help="toy corpora and 2 epochs: a smoke run, not a measurement")
    parser.add_argument("--voices", type=lambda text: [int(v) for v in text.split(",")], metavar="4,6,12,24",
                        help="the corpus-size sweep instead (benchmarks/corpus_sizes.py): training voices per corpus")
    parser.add_argument("--losses", type=lambda text: tuple(text.split(",")), default=LOSSES, metavar="ce,dirichlet",
                        help="whose models to train")
    parser.add_argument("--shared-sentences", action="store_true", help="the sweep's corpora: every actor says the "
                        "same sentences (make_demo_corpus --shared-sentences)")
    parser.add_argument("--fixed-prosody", action="store_true", help="the sweep's corpora: one prosody per emotion")
    args = parser.parse_args()
    work = args.out.resolve()
    if set(args.losses) - set(LOSSES):
        parser.error(f"--losses takes {', '.join(LOSSES)}")
    if args.voices:
        from benchmarks.corpus_sizes import run_sweep

        style = ["--shared-sentences"] * args.shared_sentences + ["--fixed-prosody"] * args.fixed_prosody
        return run_sweep(work, args.voices, args.seeds, args.losses, style, args.quick, args.jobs)
    if not (work / "test" / "reference.jsonl").is_file():
        make_model_corpora(work, args.quick)
    baseline = baseline_accuracy(work)
    runs = [(loss, seed) for loss in args.losses for seed in range(args.seeds)]
    results = run_all(work, runs, args.quick, args.jobs)

    print(f"\n{'loss':<10} {'stage-1 accuracy':>18} {'baseline':>9} {'sliding MAE':>15} {'stage-2 MAE':>15} "
          f"{'stage 2 / sliding':>18}")
    summary = []
    for loss in args.losses:
        mine = [r for r in results if r["loss"] == loss]
        accuracy = [r["accuracy"] for r in mine]
        ratio = [r["stage2_mae"] / r["sliding_mae"] for r in mine]
        print(f"{loss:<10} {spread(accuracy):>18} {baseline:>9.3f} {spread([r['sliding_mae'] for r in mine]):>15} "
              f"{spread([r['stage2_mae'] for r in mine]):>15} {spread(ratio):>18}")
        summary.append(f"{loss}: accuracy {np.mean(accuracy):.3f} vs baseline {baseline:.3f}, "
                       f"stage-2/sliding MAE {np.mean(ratio):.3f}")
    (work / "summary.json").write_text(json.dumps({"baseline_accuracy": baseline, "runs": results}, indent=1))
    print(f"({args.seeds} seeds, held-out voices; MAE against the true timelines)")
    print("; ".join(summary))


if __name__ == "__main__":
    main()
