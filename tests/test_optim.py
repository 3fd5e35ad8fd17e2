"""The moving average of the weights that stage 1 validates and keeps."""
import pytest
import torch

from emotion.optim import moving_average

pytestmark = pytest.mark.pure


def test_the_average_starts_at_the_weights_and_warms_up_before_its_decay():
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average = moving_average(model, decay=0.999)
    average.update_parameters(model)  # the first update copies
    assert average.module.weight.item() == pytest.approx(1.0)
    with torch.no_grad():
        model.weight.fill_(3.0)
    average.update_parameters(model)  # after 1 update the rate is (1 + 1) / (10 + 1), not 0.999
    assert average.module.weight.item() == pytest.approx(1.0 * 2 / 11 + 3.0 * 9 / 11)
    for _ in range(10_000):
        average.update_parameters(model)
    assert average.module.weight.item() == pytest.approx(3.0, abs=1e-3)
    assert model.weight.item() == 3.0  # the model itself is untouched
