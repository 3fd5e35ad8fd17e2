"""The shared Timeline: validation, interpolation, holding, JSON round trip."""
import numpy as np
import pytest

from dser.datasets import to_emotion
from dser.emotions import EMOTIONS, one_hot
from dser.timeline import Timeline

pytestmark = pytest.mark.pure


def test_it_interpolates_linearly_and_holds_outside_the_keyframes():
    timeline = Timeline(times=[1.0, 3.0], values=[one_hot("joy"), one_hot("anger")])
    samples = timeline.sample([0.0, 1.0, 2.0, 3.0, 10.0])
    joy, anger = EMOTIONS.index("joy"), EMOTIONS.index("anger")
    assert samples[:, joy].tolist() == [1.0, 1.0, 0.5, 0.0, 0.0]
    assert samples[:, anger].tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    np.testing.assert_allclose(samples.sum(axis=1), 1.0)
    assert timeline.sample(2.0).shape == (6,)


def test_sampling_at_a_rate_covers_the_duration():
    timeline = Timeline(times=[0.0], values=[one_hot("neutral")])
    assert timeline.sample_at_rate(25, 2.0).shape == (50, 6)
    assert timeline.sample_at_rate(25, 2.01).shape == (51, 6)


def test_json_round_trip(tmp_path):
    timeline = Timeline(times=[0.0, 0.5], values=[one_hot("fear"), [0.2, 0.0, 0.0, 0.3, 0.5, 0.0]])
    timeline.save(tmp_path / "t.json")
    loaded = Timeline.load(tmp_path / "t.json")
    np.testing.assert_allclose(loaded.values, timeline.values)
    assert loaded.dominant == ["fear", "neutral"]


@pytest.mark.parametrize("times, values, message", [
    ([], np.zeros((0, 6)), "at least one keyframe"),
    ([0.0, 0.0], [one_hot("joy")] * 2, "strictly increasing"),
    ([0.0], [[np.nan, 0, 0, 0, 1, 0]], "NaN"),
    ([0.0], [[0.5, 0, 0, 0, 0.6, 0]], "sum to 1"),
    ([0.0], [[-0.5, 0, 0, 0, 1.5, 0]], "negative"),
    ([0.0], [[1.0, 0.0]], "shape"),
    ([0.0, 1.0], [one_hot("joy")], "2 times but 1"),
])
def test_it_rejects_malformed_timelines(times, values, message):
    with pytest.raises(ValueError, match=message):
        Timeline(times=times, values=values)


def test_from_json_explains_what_it_expected():
    with pytest.raises(ValueError, match="not a timeline"):
        Timeline.from_json({"time": [0]})


def test_dataset_labels_map_onto_the_six_emotions():
    assert [to_emotion(x) for x in ("HAP", "Angry", "surprise", "sad")] == ["joy", "anger", None, "sadness"]
