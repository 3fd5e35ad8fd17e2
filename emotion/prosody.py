"""Prosody per frame, the cues a classical emotion model lives on: loudness, pitch and voicing.
One definition for the model's input streams (emotion.model) and the classical baseline
(emotion.baseline), in torch so that it runs inside the model's forward pass: a checkpoint
computes them the same way in training, evaluation and inference, on the CPU or a GPU.

Pitch is the lag of the autocorrelation's highest peak between 2.5 ms and 16.7 ms (400 to
60 Hz, the range of speaking voices) in each frame; voicing strength is that peak over the
autocorrelation at lag 0 (1 for a pure periodic sound, about 0 for noise or silence).
"""
import torch
from torch import nn

from dser.audio import SAMPLE_RATE

PITCH_RANGE_HZ = (60.0, 400.0)
VOICED_STRENGTH = 0.45  # above it a frame counts as voiced
PITCH_CENTRE_HZ = 200.0  # log2(F0 / this) is the pitch stream: about [-1.7, 1] for speech
PROSODY_CHANNELS = 2  # pitch, voicing


def autocorrelation_pitch(frames: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., L) frames -> (F0 in Hz, voicing strength), each (...). F0 is that of the strongest
    period in range whether or not the frame is voiced: callers decide with the strength."""
    length = frames.shape[-1]
    low, high = int(sample_rate / PITCH_RANGE_HZ[1]), min(length - 1, int(sample_rate / PITCH_RANGE_HZ[0]))
    centred = frames - frames.mean(dim=-1, keepdim=True)
    spectrum = torch.fft.rfft(centred, 2 * length)
    autocorrelation = torch.fft.irfft(spectrum.abs() ** 2, 2 * length)[..., :length]
    peak, lag = autocorrelation[..., low:high].max(dim=-1)
    strength = (peak / (autocorrelation[..., 0] + 1e-10)).clamp(0, 1)
    return sample_rate / (lag + low).to(frames.dtype), strength


def frame_level(audio: torch.Tensor, hop: int, n_frames: int) -> torch.Tensor:
    """(B, S) audio -> (B, T, 1): log mean power of each frame's `hop` samples, scaled to about
    [-1, 1] for speech (silence is about -4)."""
    audio = nn.functional.pad(audio, (0, max(0, n_frames * hop - audio.shape[1])))
    power = audio[:, : n_frames * hop].reshape(audio.shape[0], n_frames, hop).pow(2).mean(-1)
    return ((torch.log(power + 1e-8) + 6) / 3).unsqueeze(-1)


def frame_pitch(audio: torch.Tensor, hop: int, n_frames: int) -> torch.Tensor:
    """(B, S) audio -> (B, T, 2): per model frame, log2(F0 / 200 Hz) where voiced (0 where not)
    and the voicing strength, from a window of two hops (long enough for two periods at
    60 Hz with wav2vec2's 20 ms hop) starting at the frame."""
    window = 2 * hop
    audio = nn.functional.pad(audio, (0, max(0, (n_frames + 1) * hop - audio.shape[1])))
    frames = audio.unfold(1, window, hop)[:, :n_frames]  # (B, T, window)
    f0, strength = autocorrelation_pitch(frames)
    pitch = torch.where(strength > VOICED_STRENGTH, torch.log2(f0 / PITCH_CENTRE_HZ), torch.zeros_like(f0))
    return torch.stack([pitch, strength], dim=-1)

