"""The optimisation step both trainers share."""
import torch
from torch.optim.swa_utils import AveragedModel

MAX_GRAD_NORM = 5.0  # clips the rare spikes a Dirichlet loss gives when alpha gets small


def linear_lr(step: int, total: int, start: float, end: float) -> float:
    """Learning rate falling linearly from `start` at step 0 to `end` at the last step."""
    return start + (end - start) * min(1.0, step / max(1, total - 1))


def take_step(optimiser: torch.optim.Optimizer, loss: torch.Tensor, lr: float, where: str) -> tuple[float, float]:
    """Set the learning rate, back-propagate, clip, step; a NaN or infinite loss stops training.
    Returns the loss and the gradient norm before clipping."""
    if not torch.isfinite(loss):
        raise FloatingPointError(f"loss became {loss.item()} at {where}")
    for group in optimiser.param_groups:
        group["lr"] = lr
    optimiser.zero_grad()
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_([p for g in optimiser.param_groups for p in g["params"]], MAX_GRAD_NORM)
    optimiser.step()
    return loss.item(), float(grad_norm)


def moving_average(model: torch.nn.Module, decay: float) -> AveragedModel:
    """An exponential moving average of `model`'s weights (`.update_parameters(model)` after
    each step; the average is `.module`). The decay warms up as min(decay, (1 + n) / (10 + n))
    after n updates, so the random start fades within the first steps."""
    def average(averaged: torch.Tensor, current: torch.Tensor, updates) -> torch.Tensor:
        rate = min(decay, (1 + int(updates)) / (10 + int(updates)))
        return averaged * rate + current * (1 - rate)

    return AveragedModel(model, avg_fn=average, use_buffers=True)
