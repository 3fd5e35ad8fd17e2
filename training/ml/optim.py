"""The optimisation step both trainers share."""
import torch

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
