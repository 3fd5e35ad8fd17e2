"""The Dirichlet log-density against two references, and the stage-1 losses."""
import numpy as np
import pytest
import scipy.stats
import torch

from emotion.dirichlet import (
    TARGET_EPS,
    concentration,
    cross_entropy_loss,
    dirichlet_log_prob,
    dirichlet_mean,
    dirichlet_nll_loss,
    inside_simplex,
    mean_log_likelihood,
    smooth_labels,
)

pytestmark = pytest.mark.pure


@pytest.fixture
def draws():
    generator = torch.Generator().manual_seed(0)
    alpha = torch.rand(64, 6, generator=generator, dtype=torch.float64) * 20 + 0.05
    y = torch.distributions.Dirichlet(torch.ones(6, dtype=torch.float64) * 2).sample((64,))
    return alpha, y


def test_it_matches_torch_distributions(draws):
    alpha, y = draws
    expected = torch.distributions.Dirichlet(alpha).log_prob(inside_simplex(y))
    torch.testing.assert_close(dirichlet_log_prob(alpha, y), expected, rtol=1e-10, atol=1e-10)


def test_it_matches_scipy(draws):
    alpha, y = draws
    y_inside = inside_simplex(y).numpy()
    expected = [scipy.stats.dirichlet.logpdf(point / point.sum(), a) for point, a in zip(y_inside, alpha.numpy())]
    np.testing.assert_allclose(dirichlet_log_prob(alpha, y).numpy(), expected, rtol=1e-9)


def test_it_is_vectorised_over_leading_dimensions(draws):
    alpha, y = draws
    batched = dirichlet_log_prob(alpha.reshape(4, 16, 6), y.reshape(4, 16, 6))
    torch.testing.assert_close(batched.reshape(-1), dirichlet_log_prob(alpha, y))


def test_one_hot_targets_give_finite_values_and_gradients():
    alpha = torch.full((3, 6), 0.5, requires_grad=True)
    y = torch.eye(6)[:3]
    log_prob = dirichlet_log_prob(alpha, y)
    log_prob.sum().backward()
    assert torch.isfinite(log_prob).all() and torch.isfinite(alpha.grad).all()
    pulled = inside_simplex(y)
    assert pulled.min() == pytest.approx(TARGET_EPS) and torch.allclose(pulled.sum(-1), torch.ones(3))


def test_concentration_and_mean():
    x = torch.tensor([[0.0, 1.0, -2.0, 0.5, 0.0, 3.0]])
    alpha = concentration(x)
    assert (alpha > 0).all()
    mean = dirichlet_mean(alpha)
    assert mean.sum().item() == pytest.approx(1.0) and mean.argmax().item() == 5


def test_losses():
    labels = torch.tensor([3, 0])
    sharp = torch.full((2, 6), 0.1)
    sharp[0, 3] = sharp[1, 0] = 20.0
    flat = torch.ones(2, 6)
    assert cross_entropy_loss(sharp, labels) < cross_entropy_loss(flat, labels)
    assert cross_entropy_loss(flat, labels).item() == pytest.approx(np.log(6))
    assert dirichlet_nll_loss(sharp, labels) < dirichlet_nll_loss(flat, labels)
    smoothed = smooth_labels(labels, 6, 0.1)
    assert smoothed[0, 3].item() == pytest.approx(0.9 + 0.1 / 6) and torch.allclose(smoothed.sum(-1), torch.ones(2))


def test_the_mean_log_likelihood_is_minus_the_cross_entropy_and_ignores_scale(draws):
    alpha, _ = draws
    labels = torch.arange(64) % 6
    one_hot = torch.nn.functional.one_hot(labels, 6).double()
    torch.testing.assert_close(-mean_log_likelihood(alpha, one_hot).mean(), cross_entropy_loss(alpha, labels))
    torch.testing.assert_close(mean_log_likelihood(alpha * 7, one_hot), mean_log_likelihood(alpha, one_hot))


def test_beta_nll_weights_each_sample_by_its_inverse_concentration_held_constant():
    """beta = 1: a confident sample (sum alpha 20.5) and an uncertain one (6) pull on alpha
    with the plain loss's gradient scaled by (1 / sum alpha) / mean(1 / sum alpha), and no
    gradient flows through the weights themselves."""
    labels = torch.tensor([0, 3])
    start = torch.tensor([[20.0, 0.1, 0.1, 0.1, 0.1, 0.1], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    gradients = {}
    for beta in (0.0, 1.0):
        alpha = start.clone().requires_grad_()
        dirichlet_nll_loss(alpha, labels, 0.1, beta).backward()
        gradients[beta] = alpha.grad
    inverse = 1 / start.sum(-1)
    scale = (inverse / inverse.mean())[:, None]
    assert torch.allclose(gradients[1.0], gradients[0.0] * scale, atol=1e-6)
    assert scale[0] < 0.5 < 1.5 < scale[1]  # the uncertain sample now counts for more
