"""The settings of a DPO run, apart from the trainer (emotion/dpo.py) so that the web app's
models and forms read their defaults without importing torch."""
from dataclasses import dataclass


@dataclass
class DPOConfig:
    beta: float = 0.5  # the paper's best of 0.01, 0.1, 0.5 and 10
    lr: float = 1e-5  # falls linearly to lr / 10
    epochs: int = 3
    batch_size: int = 4  # pairs per optimiser step
    val_fraction: float = 0.2  # share of clips held out
    loss_reduction: str = "mean"  # over a pair's frames: "mean" or "sum"
    freeze_feature_encoder: bool = True
    # A timeline's per-frame log-likelihood: "dirichlet" (the density) or "ce" (of the mean
    # alone); "auto": the one the init model was trained to maximise (its loss).
    likelihood: str = "auto"
    # The frozen model the policy is compared against: "init" (the init checkpoint itself), or
    # another sequence checkpoint's path (iterative DPO: the previous round's model).
    reference: str = "init"
    # Robust DPO for noisy labels (TRL's label_smoothing): each preference is taken to be
    # flipped with this probability, 0 <= ε < 0.5.
    label_smoothing: float = 0.0
    seed: int = 0

    def check(self) -> None:
        """ValueError for a setting no run can use (the web form and the trainer both ask)."""
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError(f"label smoothing must be at least 0 and below 0.5, not {self.label_smoothing:g}")
