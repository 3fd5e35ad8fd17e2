"""The prosody streams (emotion.prosody): pitch and voicing per model frame, the same every
time they are computed and wherever the model runs (inside its forward pass)."""
import math

import pytest
import torch

from emotion.checkpoint import Metadata, load_backbone, load_checkpoint, save_checkpoint
from emotion.model import DSERModel
from emotion.prosody import PITCH_CENTRE_HZ, frame_pitch

pytestmark = pytest.mark.pure
HOP = 320  # wav2vec2's: 50 frames per second


def voice(f0_hz: float, seconds: float = 1.0, noise: float = 0.01) -> torch.Tensor:
    """A buzz with harmonics at `f0_hz`, as a vowel is, and a little noise."""
    generator = torch.Generator().manual_seed(0)
    t = torch.arange(int(16000 * seconds), dtype=torch.float32) / 16000
    buzz = sum(torch.sin(2 * math.pi * k * f0_hz * t) / k for k in range(1, 6))
    return (0.1 * buzz + noise * torch.randn(t.shape, generator=generator))[None]


@pytest.mark.parametrize("f0_hz", [90.0, 150.0, 240.0, 350.0])
def test_the_pitch_stream_follows_a_voices_pitch_and_marks_it_voiced(f0_hz):
    streams = frame_pitch(voice(f0_hz), HOP, 50)[0]  # (50, 2)
    pitch, strength = streams[:-1, 0], streams[:-1, 1]  # the last frame's window runs past the end
    assert (strength > 0.6).all()  # under 1 for low voices: fewer periods overlap at their lag
    assert pitch.median().item() == pytest.approx(math.log2(f0_hz / PITCH_CENTRE_HZ), abs=0.05)  # within a semitone


def test_noise_and_silence_are_unvoiced_with_pitch_zero():
    noise = 0.1 * torch.randn(1, 16000, generator=torch.Generator().manual_seed(1))
    streams = frame_pitch(torch.cat([noise, torch.zeros(1, 16000)]), HOP, 50)
    assert (streams[..., 1] < 0.45).float().mean() > 0.95
    assert (streams[..., 0] == 0).float().mean() > 0.95
    assert torch.equal(streams[1], torch.zeros(50, 2))


def test_the_streams_are_deterministic_and_a_checkpoint_computes_them_as_in_training(tmp_path):
    """Same audio, same streams, alone or in a batch beside a longer clip; a model with prosody
    input saved and loaded again gives bit-identical outputs (the streams are computed in its
    forward pass, not stored) and keeps the option for its later stages."""
    speech = voice(180.0)
    alone = frame_pitch(speech, HOP, 50)
    assert torch.equal(alone, frame_pitch(speech, HOP, 50))
    batch = torch.cat([torch.nn.functional.pad(speech, (0, 16000)), voice(120.0, 2.0)])
    assert torch.equal(frame_pitch(batch, HOP, 100)[0, :49], alone[0, :49])

    torch.manual_seed(0)
    model = DSERModel(load_backbone("tiny", prosody_input=True), "utterance").eval()
    assert model.head.in_features == 2 * (96 + 1 + 2)  # mean and std of features, level, pitch, voicing
    torch.nn.init.normal_(model.head.weight, std=0.5)
    save_checkpoint(model, tmp_path / "s1", Metadata(stage=1, head="utterance"))
    loaded, _ = load_checkpoint(tmp_path / "s1")
    assert loaded.prosody_input and torch.equal(model(speech).alpha, loaded(speech).alpha)
    assert DSERModel(loaded.backbone, "sequence").head.in_features == 2 * (96 + 1 + 2)
    higher = model(voice(300.0)).mean
    assert (model(speech).mean - higher).abs().max() > 1e-3  # the head hears the pitch
