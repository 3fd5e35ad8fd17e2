"""The report's section on issue 28's policy rounds: per policy, judgments spent, triplets, the
share of judgments with no training signal and DPO's held-out gain at each share of the budget;
how many judgments each policy needs to reach (a)'s full-budget gain; a plot of gain against
judgments."""
import statistics
from pathlib import Path

import numpy as np

from benchmarks.model_quality import mean_spread
from benchmarks.model_quality import spread as fmt
from benchmarks.study.report import plt, save, table


def judgments_to_reach(policies: dict, key: str, target: float) -> str:
    """The fewest judgments at which `key`'s mean gain reaches `target`, among those measured."""
    for share in policies["budget_shares"]:
        gains = policies["gains"][key][f"{share:g}"]
        if statistics.mean(gains) >= target:
            return str(policies["rounds"][key]["exports"][f"{share:g}"]["judgments"])
    return "not within the budget"


def policy_section(results: dict) -> str:
    policies = results["policies"]
    target = statistics.mean(policies["gains"]["a"]["1"])
    rows = []
    for key, label in policies["labels"].items():
        round_, full = policies["rounds"][key], policies["rounds"][key]["exports"]["1"]
        rows.append([f"({key}) {label}", round_["served"], full["judgments"], full["triplets"],
                     f"{full['no_signal']:.0%}", *[fmt(policies["gains"][key][f"{share:g}"], 4)
                                                   for share in policies["budget_shares"]],
                     judgments_to_reach(policies, key, target)])
    shares = [f"gain at {share:.0%} of the budget" for share in policies["budget_shares"]]
    floors = ", ".join(f"{floor}: {fmt(gains, 4)}" for floor, gains in policies["floor_gains"].items())
    return (f"## Policies: which judgments to ask for (issue 28)\n\n"
            f"The same comparisons, judged under four serving policies by the same team (honest annotators "
            f"wrong on 15% of close calls, one always \"left\", one at random, one who answers before the video "
            f"ends), each stopped at the budget (a) spends ({policies['budget']} judgments). DPO from each "
            f"{policies['loss']} seq2seq model on what each policy exports at each share of the budget; gain = "
            f"seq2seq MAE − DPO MAE on the held-out clips (mean ± spread over seeds). No signal: 1 − triplets ÷ "
            f"judgments. Floor on a pair's peak difference for (b)–(d): {policies['floor']:g}, the largest whose "
            f"gain on (a)'s triplets is within (a)'s spread ({floors}).\n\n"
            + table(["policy", "comparisons served", "judgments", "triplets", "no signal", *shares,
                     "judgments to reach (a)'s full gain"], rows)
            + "\n\n![DPO gain against judgments](plots/policy_gains.png)")


def plot_policy_gains(results: dict, plots: Path) -> None:
    policies = results["policies"]
    figure, axis = plt.subplots(figsize=(6, 4))
    for key, label in policies["labels"].items():
        exports = policies["rounds"][key]["exports"]
        stats = [mean_spread(policies["gains"][key][f"{share:g}"]) for share in policies["budget_shares"]]
        axis.errorbar([exports[f"{share:g}"]["judgments"] for share in policies["budget_shares"]],
                      [m for m, _ in stats], yerr=[s for _, s in stats], marker="o", capsize=4, label=f"({key}) {label}")
    axis.axhline(np.mean(policies["gains"]["a"]["1"]), linestyle="--", color="grey", label="(a) at its full budget")
    axis.set(xlabel="judgments", ylabel="held-out MAE gain over seq2seq", title=f"DPO gain ({policies['loss']})")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    save(figure, plots / "policy_gains.png")
