"""The study's report: the paper's Tables 2, 3 and 4 beside ours, the annotation rounds, and
plots (MAE by stage, DPO curves, MAE against annotator error rate)."""
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from benchmarks.model_quality import mean_spread
from benchmarks.model_quality import spread as fmt
from dser.files import atomic_path, write_text_atomic

# The paper (Fedorov & Korobchenko), large wav2vec2 on real speech. Table 3 gives one row per
# approach (the Dirichlet model); β = 0.5 was its best of those tried (Table 4).
PAPER_ACCURACY = {"ce": 0.84, "dirichlet": 0.81}
PAPER_MAE = {"sliding window": 0.206, "seq2seq": 0.200, "seq2seq + DPO": 0.195}
PAPER_BEST_BETA = 0.5


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def approaches(results: dict, loss: str, beta: float, error: float) -> dict[str, list[float]]:
    """MAE per approach over the seeds of `loss`."""
    runs = [r for r in results["runs"] if r["loss"] == loss]
    return {"sliding window": [r["sliding_mae"] for r in runs], "seq2seq": [r["stage2_mae"] for r in runs],
            "seq2seq + DPO": [r["dpo"][f"e{error:g}-beta{beta:g}"]["mae"] for r in runs]}


def write_report(results: dict, out: Path) -> Path:
    plots = out / "plots"
    losses, betas, errors = results["losses"], results["betas"], results["error_rates"]
    main_beta, main_error = results["main_beta"], results["main_error"]
    seeds = len(results["runs"]) // len(losses)
    parts = [f"# The whole loop, measured\n\n`{results['command']}`: {seeds} seed(s) per loss; every figure on "
             f"held-out clips whose voices no training stage heard, against their true timelines. "
             f"Mean ± standard deviation over seeds. Time, all recorded stages: {results['seconds'] / 60:.0f} min.\n"]

    parts.append("## Table 2: stage-1 accuracy (held-out voices)\n\n" + table(
        ["loss", "paper (large, real speech)", "ours", "classical baseline"],
        [[loss, PAPER_ACCURACY[loss], fmt([r["accuracy"] for r in results["runs"] if r["loss"] == loss]),
          f"{results['baseline_accuracy']:.3f}"] for loss in losses]))

    rows = []
    for loss in losses:
        for name, values in approaches(results, loss, main_beta, main_error).items():
            rows.append([loss, name, f"{PAPER_MAE[name]:.3f}" if loss == "dirichlet" else "—", fmt(values, 4)])
    parts.append(f"## Table 3: MAE by approach and loss (DPO β {main_beta:g}, annotators {main_error:.0%} wrong)\n\n"
                 + table(["loss", "approach", "paper", "ours"], rows)
                 + "\n\n" + ordering_line(results, main_beta, main_error)
                 + "\n\n![MAE by stage](plots/mae_by_stage.png)")

    rows = [[f"{beta:g}" + (" (paper's best)" if beta == PAPER_BEST_BETA else ""),
             *[fmt([r["dpo"][f"e{main_error:g}-beta{beta:g}"][key] for r in results["runs"] if r["loss"] == loss],
                   4 if key == "mae" else 3)
               for loss in losses for key in ("mae", "reward_accuracy")]] for beta in betas]
    parts.append("## Table 4: DPO β\n\nHeld-out MAE and reward accuracy (how often the DPO model's implicit reward "
                 "prefers the truer of two sequences; 0.5 = no preference).\n\n"
                 + table(["β", *[f"{loss} {key}" for loss in losses for key in ("MAE", "reward accuracy")]], rows)
                 + "\n\n![DPO curves](plots/dpo_curves.png)")

    parts.append("## DPO learning rate\n\nEvery DPO run compares the log-likelihood its model was trained to "
                 "maximise (`--likelihood auto`): the Dirichlet density for the dirichlet models, the mean's "
                 "likelihood for the ce ones. The learning rate was "
                 "chosen per loss before any of the runs above, from the seed-0 model at "
                 f"β {main_beta:g} on the {main_error:.0%} round, by MAE on validation clips (annotation-voice dialogues "
                 "whose true timelines no stage used; not the held-out clips).\n\n" + table(
                     ["loss", "seq2seq", *[f"lr {lr}" for lr in results["dpo_lr"][losses[0]]["maes"]], "chosen"],
                     [[loss, f"{choice['seq2seq']:.4f}", *[f"{mae:.4f}" for mae in choice["maes"].values()],
                       f"{choice['chosen']:g}"] for loss, choice in results["dpo_lr"].items()]))

    if "paper_likelihood" in results:
        parts.append(likelihood_section(results))

    rows = [[f"{error:.0%}", *[fmt([r["dpo"][f"e{error:g}-beta{main_beta:g}"]["mae"] for r in results["runs"]
                                    if r["loss"] == loss], 4) for loss in losses],
             results["rounds"][f"e{error:g}"]["export"]["triplets"]] for error in errors]
    parts.append(f"## MAE against annotator error rate (β {main_beta:g})\n\n"
                 + table(["error rate", *[f"{loss} MAE" for loss in losses], "triplets exported"], rows)
                 + "\n\n![MAE against error rate](plots/mae_vs_error.png)")

    parts.append(annotation_section(results))
    if "segments" in results:
        from benchmarks.study.segment_report import plot_segment_gains, segment_section

        parts.append(segment_section(results))
        plot_segment_gains(results, plots)
    if "policies" in results:
        from benchmarks.study.policy_report import plot_policy_gains, policy_section

        parts.append(policy_section(results))
        plot_policy_gains(results, plots)
    if "on_policy" in results:
        from benchmarks.study.rounds_report import plot_rounds, rounds_section

        parts.append(rounds_section(results))
        plot_rounds(results, plots)
    parts.append("## Time per stage\n\nAs each stage ran, on this machine (— : not recorded).\n\n" + table(
        ["stage", "minutes"], [[name, "—" if seconds is None else f"{seconds / 60:.1f}"]
                               for name, seconds in results["timings"].items()]))
    plot_mae_by_stage(results, plots)
    plot_dpo_curves(results, plots)
    plot_mae_vs_error(results, plots)
    report = out / "report.md"
    write_text_atomic(report, "\n\n".join(parts) + "\n")
    return report


def ordering_line(results: dict, beta: float, error: float) -> str:
    verdicts = []
    for loss in results["losses"]:
        means = {k: np.mean(v) for k, v in approaches(results, loss, beta, error).items()}
        holds = means["sliding window"] > means["seq2seq"] > means["seq2seq + DPO"]
        verdicts.append(f"{loss}: sliding window > seq2seq > seq2seq + DPO **{'holds' if holds else 'does not hold'}**")
    return "The paper's ordering, on the means: " + "; ".join(verdicts) + "."


def likelihood_section(results: dict) -> str:
    """The ce row's DPO on its own likelihood (the mean's) beside the paper's (the density)."""
    paper, main = results["paper_likelihood"], f"e{results['main_error']:g}-beta{results['main_beta']:g}"
    runs = [r for r in results["runs"] if r["loss"] == "ce"]
    rows = [["seq2seq (no DPO)", "—", fmt([r["stage2_mae"] for r in runs], 4), "—"]]
    for name, key, lr in (("+ DPO, the mean's likelihood (its own; the runs above)", main,
                           results["dpo_lr"]["ce"]["chosen"]),
                          (f"+ DPO, the {paper['likelihood']} density (the paper's)", paper["run"],
                           paper["lr"]["chosen"])):
        rows.append([name, f"{lr:g}", fmt([r["dpo"][key]["mae"] for r in runs], 4),
                     fmt([r["dpo"][key]["reward_accuracy"] for r in runs], 3)])
    return (f"## DPO on the ce row: which log-likelihood\n\nβ {results['main_beta']:g}, annotators "
            f"{results['main_error']:.0%} wrong; each learning rate chosen on the validation clips as above.\n\n"
            + table(["ce model", "lr", "held-out MAE", "reward accuracy"], rows))


def annotation_section(results: dict) -> str:
    rows = []
    for error in results["error_rates"]:
        round_ = results["rounds"][f"e{error:g}"]
        figures = round_["annotation"]
        flagged = [a["name"] for a in figures["annotators"] if a["flagged"]]
        rows.append([f"{error:.0%} wrong", figures["judgments"], "yes" if figures["through_api"] else "NO",
                     f"{figures['percent_agreement']:.3f}" if figures["percent_agreement"] is not None else "—",
                     f"{figures['alpha']:.3f}" if figures["alpha"] is not None else "—",
                     ", ".join(flagged) or "none", round_["export"]["triplets"]])
    controls = [[a["name"], a["count"], f"{a['agreement']:.2f}" if a["agreement"] is not None else "—",
                 a["controls"], f"{a['control_accuracy']:.2f}" if a["control_accuracy"] is not None else "—",
                 "**flagged**" if a["flagged"] else ""]
                for a in results["rounds"][f"e{results['main_error']:g}"]["annotation"]["annotators"]]
    return ("## Annotation rounds\n\nEach round: the same comparisons, a fresh team of simulated annotators "
            "judging through `/api/v1/` (one of them always answers \"left\"), overlap "
            f"{results['overlap']}; export with at least 2 votes, two-thirds agreement, failed controls left out.\n\n"
            + table(["round", "judgments", "all through the API", "percent agreement", "Krippendorff's α",
                     "flagged by controls", "triplets"], rows)
            + f"\n\nThe {results['main_error']:.0%} round, per annotator (the admins' dashboard):\n\n"
            + table(["annotator", "judgments", "agreement with others", "controls", "control accuracy", ""], controls))


def save(figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    with atomic_path(path) as partial:
        figure.savefig(partial, dpi=100, format="png")
    plt.close(figure)


def plot_panels(panels: dict[str, dict[str, tuple[list, list[list[float]]]]], axes_labels: tuple[str, str],
                title: str, path: Path) -> None:
    """One panel per key of `panels` (a loss), one line per label in it: (x values, the values
    over seeds at each), drawn as mean ± spread."""
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for axis, (name, lines) in zip(axes[0], panels.items()):
        for label, (xs, values) in lines.items():
            stats = [mean_spread(v) for v in values]
            axis.errorbar(xs, [m for m, _ in stats], yerr=[s for _, s in stats], marker="o", capsize=4, label=label)
        axis.set(xlabel=axes_labels[0], ylabel=axes_labels[1], title=f"{title} ({name})")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # rounds and judgments are counts
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    save(figure, path)


def plot_mae_by_stage(results: dict, plots: Path) -> None:
    figure, axis = plt.subplots(figsize=(6, 4))
    for offset, loss in zip((-0.15, 0.15), results["losses"]):
        values = approaches(results, loss, results["main_beta"], results["main_error"])
        means = [np.mean(v) for v in values.values()]
        spreads = [mean_spread(v)[1] for v in values.values()]
        axis.bar(np.arange(3) + offset, means, width=0.3, yerr=spreads, capsize=4, label=loss)
    axis.set_xticks(range(3), list(PAPER_MAE))
    axis.set(ylabel="MAE to the true timelines (held-out clips)", title="MAE by stage")
    low = min(r[k] for r in results["runs"] for k in ("sliding_mae", "stage2_mae"))
    axis.set_ylim(bottom=low * 0.8)
    axis.legend()
    save(figure, plots / "mae_by_stage.png")


def plot_dpo_curves(results: dict, plots: Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    first = results["runs"][0]
    for beta in results["betas"]:
        curve = first["dpo"][f"e{results['main_error']:g}-beta{beta:g}"]["curve"]
        for axis, key in ((left, "loss"), (right, "accuracy")):
            values = smooth([c[key] for c in curve])
            axis.plot([c["step"] for c in curve][len(curve) - len(values):], values, label=f"β {beta:g}")
    left.set(xlabel="step", title="DPO loss (training, smoothed)")
    right.set(xlabel="step", title="reward accuracy (training, smoothed)")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(f"{first['loss']}, seed {first['seed']}")
    save(figure, plots / "dpo_curves.png")


def smooth(values: list[float], width: int = 10) -> np.ndarray:
    width = max(1, min(width, len(values)))
    return np.convolve(values, np.ones(width) / width, mode="valid") if values else np.array([])


def plot_mae_vs_error(results: dict, plots: Path) -> None:
    figure, axis = plt.subplots(figsize=(6, 4))
    errors = results["error_rates"]
    for loss in results["losses"]:
        runs = [r for r in results["runs"] if r["loss"] == loss]
        stats = [mean_spread([r["dpo"][f"e{e:g}-beta{results['main_beta']:g}"]["mae"] for r in runs]) for e in errors]
        line = axis.errorbar([e * 100 for e in errors], [m for m, _ in stats], yerr=[s for _, s in stats], marker="o",
                             capsize=4, label=f"{loss} + DPO")
        axis.axhline(np.mean([r["stage2_mae"] for r in runs]), linestyle="--", color=line[0].get_color(),
                     label=f"{loss} seq2seq (no DPO)")
    axis.set(xlabel="annotator error rate (%)", ylabel="held-out MAE", title="MAE against annotator error rate")
    axis.grid(alpha=0.3)
    axis.legend()
    save(figure, plots / "mae_vs_error.png")
