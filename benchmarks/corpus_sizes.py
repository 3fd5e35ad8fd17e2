"""The corpus-size sweep of benchmarks/model_quality.py (`--voices 4,6,12,24`): does the
small preset hold against the classical baseline, and stage 2 against its sliding window,
when a user's corpus has only a few voices?

Per size N and seed S, a training corpus of N training voices (3 sentences each in every
emotion, 10 dialogue clips per voice), its voices drawn with seed S, so that the spread over
seeds includes which voices a small corpus happens to have. Every run is judged on one
held-out corpus (24 voices no training corpus has, 2 sentences each, 60 dialogue clips).
`--shared-sentences` and `--fixed-prosody` make every corpus of the sweep in that style
(corpus.sources.demo.UtteranceStyle), kept in its own folder.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks.model_quality import Corpora, RunSpec, baseline_accuracy, mean_spread, run_specs, spread
from dser.files import write_text_atomic

ROOT = Path(__file__).resolve().parent.parent
MELD = ROOT / "corpus" / "data" / "meld"
SENTENCES, CLIPS_PER_VOICE = 3, 10
QUICK_SENTENCES, QUICK_CLIPS_PER_VOICE = 1, 2


def style_name(style_flags: list[str]) -> str:
    return "-".join(flag.removeprefix("--") for flag in style_flags) or "default"


def make_corpus(target: Path, arguments: list[str]) -> Path:
    """A demo corpus with its WAVs and reference.jsonl, unless it is there already."""
    if not (target / "reference.jsonl").is_file():
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "make_demo_corpus", str(target), *arguments,
                        "--with-wav", "-v", "0"], check=True, env={**os.environ, "DEBUG": "1"},
                       stdout=subprocess.DEVNULL)
    return target


def sweep_corpora(out: Path, voices: int, seed: int, style_flags: list[str], quick: bool) -> Corpora:
    sentences, clips = (QUICK_SENTENCES, QUICK_CLIPS_PER_VOICE) if quick else (SENTENCES, CLIPS_PER_VOICE)
    test = make_corpus(out / "test", ["--clips", "4" if quick else "60", "--voices", "3" if quick else "24",
                                      "--sentences", "1" if quick else "2", "--seed", "1", "--voice-set", "held-out",
                                      "--source-csv", str(MELD / "dev_sent_emo.csv"), *style_flags])
    train = make_corpus(out / f"voices-{voices}" / f"seed{seed}" / "train", [
        "--clips", str(clips * voices), "--voices", str(voices), "--sentences", str(sentences), "--seed", str(seed),
        "--voice-set", "train", "--source-csv", str(MELD / "test_sent_emo.csv"), *style_flags])
    return Corpora(train, test)


def sweep(out: Path, sizes: list[int], seeds: int, losses: tuple[str, ...], style_flags: list[str], quick: bool,
          jobs: int) -> list[dict]:
    """One result per size, seed and loss: the run's figures beside the baseline's on its corpus."""
    specs, settings = [], []  # settings: each spec's voices and its corpus's baseline accuracy
    for voices in sizes:
        for seed in range(seeds):
            corpora = sweep_corpora(out, voices, seed, style_flags, quick)
            folder = out / f"voices-{voices}" / f"seed{seed}"
            baseline = baseline_accuracy(folder, corpora)
            for loss in losses:
                specs.append(RunSpec(corpora, folder / loss, loss, seed))
                settings.append({"voices": voices, "baseline_accuracy": baseline})
    return [{**result, **setting} for setting, result in zip(settings, run_specs(specs, quick, jobs))]


def summary(results: list[dict], sizes: list[int], losses: tuple[str, ...]) -> list[dict]:
    """Per size and loss, each figure's (mean, standard deviation) over seeds."""
    rows = []
    for voices in sizes:
        for loss in losses:
            mine = [r for r in results if r["voices"] == voices and r["loss"] == loss]
            rows.append({"voices": voices, "loss": loss, "seeds": len(mine),
                         "accuracy": mean_spread([r["accuracy"] for r in mine]),
                         "baseline": mean_spread([r["baseline_accuracy"] for r in mine]),
                         "ratio": mean_spread([r["stage2_mae"] / r["sliding_mae"] for r in mine])})
    return rows


def print_table(results: list[dict], sizes: list[int], losses: tuple[str, ...]) -> None:
    print(f"\n{'voices':>6} {'loss':<10} {'preset accuracy':>16} {'baseline':>14} {'preset - baseline':>18} "
          f"{'stage 2 / window':>17}")
    for voices in sizes:
        for loss in losses:
            mine = [r for r in results if r["voices"] == voices and r["loss"] == loss]
            accuracy, baseline = [r["accuracy"] for r in mine], [r["baseline_accuracy"] for r in mine]
            print(f"{voices:>6} {loss:<10} {spread(accuracy):>16} {spread(baseline):>14} "
                  f"{spread(list(np.subtract(accuracy, baseline))):>18} "
                  f"{spread([r['stage2_mae'] / r['sliding_mae'] for r in mine]):>17}")


def plot_sweep(rows: list[dict], losses: tuple[str, ...], target: Path) -> None:
    """Held-out accuracy (preset per loss, baseline) and stage 2 / window against training voices."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for loss in losses:
        mine = [r for r in rows if r["loss"] == loss]
        voices = [r["voices"] for r in mine]
        left.errorbar(voices, *zip(*[r["accuracy"] for r in mine]), marker="o", capsize=3, label=f"preset, {loss}")
        right.errorbar(voices, *zip(*[r["ratio"] for r in mine]), marker="o", capsize=3, label=loss)
    first = [r for r in rows if r["loss"] == losses[0]]
    left.errorbar([r["voices"] for r in first], *zip(*[r["baseline"] for r in first]), marker="s", capsize=3,
                  linestyle="--", color="grey", label="classical baseline")
    right.axhline(1.0, color="grey", linestyle="--", label="the sliding window")
    left.set(xscale="log", xlabel="training voices", ylabel="held-out accuracy", title="stage 1 on unheard voices")
    right.set(xscale="log", xlabel="training voices", ylabel="MAE, stage 2 / window", title="stage 2 on unheard voices")
    for axis in (left, right):
        axis.set_xticks(sorted({r["voices"] for r in rows}), labels=[str(v) for v in sorted({r["voices"] for r in rows})])
        axis.set_xticks([], minor=True)  # a log axis would label 20 as 2×10¹ beside 24
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)


def run_sweep(out: Path, sizes: list[int], seeds: int, losses: tuple[str, ...], style_flags: list[str], quick: bool,
              jobs: int) -> None:
    """The sweep, its table, OUT/sweep-STYLE/results.json and sweep.png; the last line the figures."""
    out = out / f"sweep-{style_name(style_flags)}"
    results = sweep(out, sizes, seeds, losses, style_flags, quick, jobs)
    rows = summary(results, sizes, losses)
    write_text_atomic(out / "results.json", json.dumps({"style": style_flags, "runs": results, "summary": rows},
                                                       indent=1))
    plot_sweep(rows, losses, out / "sweep.png")
    print_table(results, sizes, losses)
    print(f"({seeds} seeds, mean ± sd; held-out voices; accuracy against true labels, MAE against the true timelines; "
          f"plot {out / 'sweep.png'})")
    print("; ".join(f"{r['voices']} voices {r['loss']}: {r['accuracy'][0]:.3f} vs baseline {r['baseline'][0]:.3f}, "
                    f"stage 2/window {r['ratio'][0]:.3f}" for r in rows))
