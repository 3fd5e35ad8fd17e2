"""Sliding windows: coverage, batching, the seeded five-sequence draw, NaN handling."""
import numpy as np
import pytest
import torch

from dser.audio import SAMPLE_RATE
from dser.windows import PARAM_HIGH_S, PARAM_LOW_S, WindowParams, clip_seed, draw_params
from emotion.checkpoint import load_backbone
from emotion.inference import sliding_window_timeline, window_batch
from emotion.model import DSERModel

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("duration, window, stride", [(3.3, 1.4, 1.0), (2.0, 1.0, 0.5), (5.0, 0.3, 1.2), (1.0, 1.4, 1.0)])
def test_windows_start_at_zero_and_cover_the_clip(duration, window, stride):
    spans = WindowParams(window, stride).spans(duration)
    assert spans[0][0] == 0.0
    assert spans[-1][1] == pytest.approx(duration)
    assert all(b[0] - a[0] == pytest.approx(stride) for a, b in zip(spans, spans[1:]))
    assert all(end - start <= window + 1e-9 for start, end in spans)
    if duration <= window:
        assert spans == [(0.0, duration)]  # a clip shorter than the window is one window


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return DSERModel(load_backbone("tiny"), "utterance").eval()


def test_all_windows_go_through_in_one_batch_and_match_a_per_window_loop(model):
    params = WindowParams(window_s=0.5, stride_s=0.25)
    samples = np.random.default_rng(0).normal(0, 0.1, int(2.0 * SAMPLE_RATE)).astype(np.float32)
    audio, lengths, centres = window_batch(samples, params)
    assert audio.shape == (7, 8000) and lengths.tolist() == [8000] * 7
    np.testing.assert_allclose(centres, 0.25 + 0.25 * np.arange(7))
    timeline = sliding_window_timeline(model, samples, params)
    with torch.no_grad():
        one_by_one = [model(torch.from_numpy(samples[int(s * SAMPLE_RATE): int(e * SAMPLE_RATE)])[None]).mean[0]
                      for s, e in params.spans(2.0)]
    np.testing.assert_allclose(timeline.values, torch.stack(one_by_one).double().numpy(), atol=1e-5)


def test_a_short_clip_is_one_window_and_the_last_window_is_cut_at_the_end(model):
    short = np.zeros(int(0.3 * SAMPLE_RATE), np.float32)
    assert len(sliding_window_timeline(model, short, WindowParams(1.4, 1.0)).times) == 1
    _, lengths, centres = window_batch(np.zeros(int(3.3 * SAMPLE_RATE), np.float32), WindowParams(1.4, 1.0))
    assert lengths.tolist() == [22400, 22400, 20800]
    assert centres[-1] == pytest.approx((2.0 + 3.3) / 2)


def test_a_nan_from_the_model_is_an_error_not_a_timeline(model):
    broken = DSERModel(load_backbone("tiny"), "utterance").eval()
    with torch.no_grad():
        broken.head.bias.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="NaN"):
        sliding_window_timeline(broken, np.zeros(16000, np.float32), WindowParams(0.5, 0.25))


def test_the_draw_is_distinct_in_range_and_reproducible():
    seed = clip_seed("dev/dia3_utt1")
    params = draw_params(seed, count=5, min_distance_s=0.15)
    assert len(params) == 5
    assert all(PARAM_LOW_S <= p.window_s <= PARAM_HIGH_S and PARAM_LOW_S <= p.stride_s <= PARAM_HIGH_S for p in params)
    for i, a in enumerate(params):
        for b in params[i + 1:]:
            assert max(abs(a.window_s - b.window_s), abs(a.stride_s - b.stride_s)) >= 0.15
    assert draw_params(seed, count=5, min_distance_s=0.15) == params
    assert draw_params(clip_seed("dev/dia3_utt2"), count=5) != params
    assert clip_seed("dev/dia3_utt1", round_=1) != seed


def test_an_impossible_draw_fails_clearly():
    with pytest.raises(ValueError, match="could not draw"):
        draw_params(0, count=5, min_distance_s=0.9, max_tries=2000)
