"""The report's section on issue 30's rounds: held-out MAE after each round, on-policy against
off-policy, per loss (mean ± spread over seeds), the targets checked; a plot of MAE by round."""
import statistics
from pathlib import Path

from benchmarks.model_quality import spread as fmt
from benchmarks.study.report import plot_panels, table

TARGET_GAIN = {"ce": 0.03, "dirichlet": 0.10}  # after the last round (3), on-policy, over the seq2seq init


def by_round(curves: list[list[float]]) -> list[list[float]]:
    """Per seed curves -> per round values."""
    return [list(values) for values in zip(*curves)]


def verdicts(loss: str, arms: dict) -> list[str]:
    on, off = (by_round(arms[arm]) for arm in ("on-policy", "off-policy"))
    means = [statistics.mean(values) for values in on]
    gain = 1 - means[-1] / means[0]
    return [f"MAE decreases every on-policy round: {'yes' if all(b < a for a, b in zip(means, means[1:])) else 'no'} "
            f"({' → '.join(f'{m:.4f}' for m in means)})",
            f"gain after round {len(means) - 1} over the seq2seq init: {gain:.1%} (target {TARGET_GAIN[loss]:.0%})",
            f"on-policy round {len(means) - 1} beats as many off-policy rounds: "
            f"{'yes' if means[-1] < statistics.mean(off[-1]) else 'no'} ({means[-1]:.4f} against "
            f"{statistics.mean(off[-1]):.4f})"]


def rounds_section(results: dict) -> str:
    study = results["on_policy"]
    parts = [f"## Rounds: on-policy against off-policy feedback (issue 30)\n\n"
             f"Round 1 is the main round (sliding-window pairs); each later round is judged by the same team "
             f"(15% wrong on close calls, one always \"left\") up to the same budget, {study['budget']} judgments, "
             f"on a new render batch: on-policy, the candidates of the model the last round trained (its prediction "
             f"and draws); off-policy, sliding windows drawn with another seed. DPO from the last round's model with "
             f"it as the reference (iterative DPO). Held-out MAE against true timelines, mean ± spread over seeds; "
             f"round 0 is the seq2seq init."]
    for loss, arms in study["maes"].items():
        rows = [[arm, *(fmt(values, 4) for values in by_round(curves))] for arm, curves in arms.items()]
        heads = [f"round {number}" for number in range(len(rows[0]) - 1)]
        parts.append(f"### {loss}\n\n" + table(["arm", *heads], rows) + "\n\n"
                     + "\n".join(f"- {line}" for line in verdicts(loss, arms)))
    judged = [[name, r["batch"], r["judgments"], r["triplets"]] for name, r in study["rounds"].items()]
    parts.append(table(["round", "render batch", "judgments", "triplets"], judged))
    return "\n\n".join(parts) + "\n\n![Held-out MAE by round](plots/rounds.png)"


def plot_rounds(results: dict, plots: Path) -> None:
    maes = results["on_policy"]["maes"]
    panels = {loss: {arm: (list(range(len(curves[0]))), by_round(curves)) for arm, curves in arms.items()}
              for loss, arms in maes.items()}
    plot_panels(panels, ("round (0: seq2seq init)", "held-out MAE"), "DPO rounds", plots / "rounds.png")
