"""The Dirichlet distribution over emotion mixtures: log-density and the two stage-1 losses.

Written once, vectorised over any leading dimensions (utterances, frames, pairs).
"""
import torch

# Targets on the simplex's boundary (one-hot labels, hard sliding-window predictions) have
# log y = -inf. They are pulled strictly inside by mixing with the uniform mixture:
# y' = (1 - K*eps) * y + eps, so every component is at least eps = 1e-3 and they still sum to 1.
TARGET_EPS = 1e-3


def concentration(x: torch.Tensor) -> torch.Tensor:
    """The paper's g(x) = x^2 + 1e-6: head outputs -> Dirichlet concentration alpha > 0."""
    return x * x + 1e-6


def inside_simplex(y: torch.Tensor, eps: float = TARGET_EPS) -> torch.Tensor:
    k = y.shape[-1]
    return (1 - k * eps) * y + eps


def dirichlet_log_prob(alpha: torch.Tensor, y: torch.Tensor, eps: float = TARGET_EPS) -> torch.Tensor:
    """log Dir(y | alpha) over the last dimension: (..., K), (..., K) -> (...).

    log Gamma(sum alpha) - sum log Gamma(alpha_k) + sum (alpha_k - 1) log y_k, with y pulled
    inside the simplex by `eps` (see TARGET_EPS) so the density is finite."""
    y = inside_simplex(y, eps)
    return (torch.lgamma(alpha.sum(-1)) - torch.lgamma(alpha).sum(-1)
            + ((alpha - 1) * torch.log(y)).sum(-1))


def dirichlet_mean(alpha: torch.Tensor) -> torch.Tensor:
    """The prediction: the expected mixture alpha / sum(alpha)."""
    return alpha / alpha.sum(-1, keepdim=True)


def mean_log_likelihood(alpha: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """sum_k y_k log mean_k over the last dimension: the log-likelihood of a mixture y under the
    Dirichlet mean alone, what the cross-entropy loss maximises (it ignores alpha's scale)."""
    return (y * torch.log(dirichlet_mean(alpha))).sum(-1)


# A timeline's per-frame log-likelihood under a sequence model, named by the loss it was
# trained with: stage 2 maximises it, and DPO compares it between policy and reference.
LOG_LIKELIHOODS = {"dirichlet": dirichlet_log_prob, "ce": mean_log_likelihood}


def smooth_labels(labels: torch.Tensor, k: int, smoothing: float) -> torch.Tensor:
    """One-hot labels with `smoothing` of the mass spread evenly: (...,) -> (..., K)."""
    one_hot = torch.nn.functional.one_hot(labels, k).float()
    return one_hot * (1 - smoothing) + smoothing / k


def cross_entropy_loss(alpha: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-log of the Dirichlet mean's probability of the true class, averaged."""
    return torch.nn.functional.nll_loss(torch.log(dirichlet_mean(alpha)), labels)


def dirichlet_nll_loss(alpha: torch.Tensor, labels: torch.Tensor, smoothing: float = 0.1,
                       beta: float = 0.0) -> torch.Tensor:
    """-log Dir(smoothed one-hot | alpha), averaged. It has a label-independent optimum (every
    alpha << 1: density in all corners); README.md, "Why the Dirichlet loss collapses", says
    how the heads avoid it.

    With `beta`, each sample's term is weighted by sum(alpha)^-beta (as a constant, the weights
    scaled to average 1), as beta-NLL does for a Gaussian's variance (Seitzer et al., 2022).
    Each sample pulls on the predicted mean in proportion to its concentration sum(alpha), so
    the plain loss lets a model give up on hard samples by making them uncertain rather than
    right; beta = 1 gives every sample the same pull again."""
    nll = -dirichlet_log_prob(alpha, smooth_labels(labels, alpha.shape[-1], smoothing))
    if not beta:
        return nll.mean()
    weights = alpha.sum(-1).detach() ** -beta
    return (nll * weights / weights.mean()).mean()
