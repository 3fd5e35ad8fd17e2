"""Training history: one record per epoch, saved as JSON and plotted as PNG curves."""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save_history(history: list[dict], directory: Path, title: str) -> None:
    """Write `training_history.json` and `training_curves.png` (losses left, metrics right)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "training_history.json").write_text(json.dumps(history, indent=1))
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
    figure.savefig(directory / "training_curves.png", dpi=100)
    plt.close(figure)
