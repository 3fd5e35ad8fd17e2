"""Pictures of training and prediction: training curves (with their JSON), emotion timelines
and confusion matrices."""
import json
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from dser.emotions import EMOTION_COLOURS, EMOTIONS
from dser.files import atomic_path, write_text_atomic
from dser.timeline import Timeline


def save_history(history: list[dict], directory: Path, title: str) -> None:
    """Write `training_history.json` and `training_curves.png` (losses left, metrics right)."""
    directory = Path(directory)
    write_text_atomic(directory / "training_history.json", json.dumps(history, indent=1))
    epochs = [record["epoch"] for record in history]
    losses = [key for key in history[0] if key.endswith("loss")]
    metrics = [key for key in history[0] if key.startswith("val_") and not key.endswith("loss")]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key in losses:
        left.plot(epochs, [r[key] for r in history], marker="o", label=key)
    for key in metrics:
        right.plot(epochs, [r[key] for r in history], marker="o", label=key)
    left.set(xlabel="epoch", title="loss")
    right.set(xlabel="epoch", title="validation")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    with atomic_path(directory / "training_curves.png") as partial:
        figure.savefig(partial, dpi=100)
    plt.close(figure)


def save_dpo_curves(log: list[dict], directory: Path) -> None:
    """`training_curves.png` of a DPO run: loss and reward margin per step (epochs' held-out
    values as dots), and the share of pairs whose chosen side the policy prefers."""
    steps = [entry for entry in log if entry["kind"] == "step"]
    epochs = [entry for entry in log if entry["kind"] == "epoch"]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for axis, key in zip(axes, ("loss", "rewards/margins", "rewards/accuracies")):
        axis.plot([e["step"] for e in steps], [e[key] for e in steps], alpha=0.6, label=f"train {key}")
        held_out = [e for e in epochs if f"val/{key}" in e]
        if held_out:
            axis.plot([e["step"] for e in held_out], [e[f"val/{key}"] for e in held_out], "o-", label=f"held-out {key}")
        axis.set(xlabel="step", title=key)
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    axes[0].axhline(np.log(2), color="grey", lw=0.8, ls=":")  # where DPO starts: policy = reference
    axes[2].set_ylim(-0.05, 1.05)
    figure.tight_layout()
    with atomic_path(Path(directory) / "training_curves.png") as partial:
        figure.savefig(partial, dpi=100)
    plt.close(figure)


def plot_timelines(timelines: dict[str, Timeline], duration_s: float, target: Path, title: str = "") -> None:
    """One stacked-area panel per timeline (emotion shares over time), sharing the time axis."""
    times = np.linspace(0, duration_s, max(2, int(duration_s * 50)))
    figure, axes = plt.subplots(len(timelines), 1, figsize=(10, 1.8 * len(timelines) + 0.6), sharex=True,
                                squeeze=False)
    for axis, (name, timeline) in zip(axes[:, 0], timelines.items()):
        values = timeline.sample(times)
        axis.stackplot(times, values.T, labels=EMOTIONS, colors=[EMOTION_COLOURS[e] for e in EMOTIONS], alpha=0.9)
        axis.set(ylim=(0, 1), xlim=(0, duration_s), ylabel=name)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    axes[-1, 0].set_xlabel("seconds")
    figure.suptitle(title)
    figure.tight_layout()
    with atomic_path(target) as partial:
        figure.savefig(partial, dpi=100)
    plt.close(figure)


def plot_confusion(confusion: list[list[int]], target: Path, title: str = "") -> None:
    """The confusion matrix (rows: truth, columns: prediction), each row's shares as colour and
    its counts as numbers, so a rare emotion's misses show as plainly as a common one's."""
    counts = np.asarray(confusion)
    shares = counts / np.maximum(1, counts.sum(axis=1, keepdims=True))
    figure, axis = plt.subplots(figsize=(5.6, 4.8))
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, column), count in np.ndenumerate(counts):
        axis.text(column, row, str(count), ha="center", va="center", fontsize="small",
                  color="white" if shares[row, column] > 0.6 else "black")
    axis.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    axis.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    axis.set(xlabel="predicted", ylabel="true", title=title)
    figure.colorbar(image, ax=axis, label="share of the true emotion")
    figure.tight_layout()
    with atomic_path(target) as partial:
        figure.savefig(partial, dpi=100)
    plt.close(figure)
