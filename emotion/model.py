"""The DSER model: wav2vec2 features -> head -> Dirichlet concentration per utterance or frame.

    alpha = g(head(features)),  g(x) = x^2 + 1e-6,  prediction = alpha / sum(alpha)

utterance head: mean over the clip's frames -> Linear(hidden, 6)            (stage 1)
sequence head:  moving average over frames (kernel 5, stride 1, same length)
                -> Linear(hidden, 6) per frame, 50 frames per second          (stage 2)

Head options are set on the backbone's config, so that they travel with it into every
checkpoint and every later stage (absent: the plain heads above):
- sequence kernel: the moving average's width in frames (stage 2's smoothing).
- sequence chunk: a clip goes through the sequence model in half-overlapping chunks of this
  many seconds, blended (clip_alpha), so that it always hears as much context as in training.
- level input: each frame's features gain one channel, the frame's log loudness.
  wav2vec2's first layer normalises every channel over the clip, so the backbone alone is
  blind to how loud the voice is, a main cue between anger and joy, or sadness and disgust.
- prosody input: two more channels, the frame's pitch and voicing strength (emotion.prosody),
  the cues a classical model lives on, so that a model trained on a few voices need not
  learn to hear pitch from scratch before it can use it.
- statistics pooling: the head also sees the standard deviation of the features over the
  frames it pools (over the clip; over the moving-average window per frame), as x-vector
  speaker models do: how much pitch and loudness vary tells emotions apart.
"""
from dataclasses import dataclass

import torch
from torch import nn
from transformers import Wav2Vec2Config, Wav2Vec2Model

from dser.audio import SAMPLE_RATE
from dser.emotions import EMOTIONS
from emotion.dirichlet import concentration, dirichlet_mean
from emotion.prosody import PROSODY_CHANNELS, frame_level, frame_pitch

HEAD_KINDS = ("utterance", "sequence")
# Backbone config attributes (saved in the checkpoint's config.json) for the head options.
LEVEL_INPUT, PROSODY_INPUT, STATS_POOLING = "dser_level_input", "dser_prosody_input", "dser_stats_pooling"
SEQUENCE_KERNEL, SEQUENCE_CHUNK = "dser_sequence_kernel", "dser_sequence_chunk_s"


def tiny_config(**overrides) -> Wav2Vec2Config:
    """A small wav2vec2 (about 0.25 M parameters) that trains from scratch on a CPU; used for
    the embedded default checkpoints and the tests. Same 320-sample hop (50 frames/s) as base."""
    settings = dict(hidden_size=96, num_hidden_layers=2, num_attention_heads=4, intermediate_size=192,
                    conv_dim=(64, 64, 64), conv_stride=(10, 8, 4), conv_kernel=(10, 8, 4),
                    num_conv_pos_embeddings=32, num_conv_pos_embedding_groups=8, mask_time_prob=0.0)
    settings.update(overrides)
    return Wav2Vec2Config(**settings)


@dataclass
class Output:
    alpha: torch.Tensor  # (B, 6) or (B, T, 6)
    mask: torch.Tensor | None = None  # (B, T) True on real frames (sequence head)

    @property
    def mean(self) -> torch.Tensor:
        return dirichlet_mean(self.alpha)


class MovingAverage(nn.Module):
    """Mean over `kernel` neighbouring frames, stride 1, same length (edges average fewer)."""

    def __init__(self, kernel: int = 5):
        super().__init__()
        self.pool = nn.AvgPool1d(kernel, stride=1, padding=kernel // 2, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, C)
        return self.pool(x.transpose(1, 2)).transpose(1, 2)


class DSERModel(nn.Module):
    def __init__(self, backbone: Wav2Vec2Model, head: str = "utterance"):
        super().__init__()
        if head not in HEAD_KINDS:
            raise ValueError(f"head must be one of {HEAD_KINDS}, not {head!r}")
        self.backbone = backbone
        self.head_kind = head
        self.level_input = bool(getattr(backbone.config, LEVEL_INPUT, False))
        self.prosody_input = bool(getattr(backbone.config, PROSODY_INPUT, False))
        self.stats_pooling = bool(getattr(backbone.config, STATS_POOLING, False))
        channels = backbone.config.hidden_size + self.level_input + PROSODY_CHANNELS * self.prosody_input
        self.chunk_s = float(getattr(backbone.config, SEQUENCE_CHUNK, 0.0))  # 0: whole clips
        kernel = getattr(backbone.config, SEQUENCE_KERNEL, 5)
        self.smooth = MovingAverage(kernel) if head == "sequence" else nn.Identity()
        self.head = nn.Linear(channels * (1 + self.stats_pooling), len(EMOTIONS))
        # Start every alpha near 1 (a flat Dirichlet). A head started at x ~ 0 has alpha ~ 1e-6,
        # the Dirichlet loss's label-independent optimum (density in every corner), where
        # g'(x) = 2x ~ 0 and it stays (README.md, "Why the Dirichlet loss collapses").
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.constant_(self.head.bias, 1.0)

    @property
    def hop(self) -> int:
        """Audio samples per model frame."""
        hop = 1
        for stride in self.backbone.config.conv_stride:
            hop *= stride
        return hop

    @property
    def frame_rate(self) -> float:
        return SAMPLE_RATE / self.hop

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return self.backbone._get_feat_extract_output_lengths(lengths).long()

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor | None = None) -> Output:
        """audio (B, S) at 16 kHz, zero-padded after each clip's `lengths` samples."""
        features = self.backbone(audio).last_hidden_state  # (B, T, H)
        n_frames = features.shape[1]
        if self.level_input:
            features = torch.cat([features, frame_level(audio, self.hop, n_frames)], dim=-1)
        if self.prosody_input:
            features = torch.cat([features, frame_pitch(audio, self.hop, n_frames)], dim=-1)
        if lengths is None:
            mask = torch.ones(features.shape[:2], dtype=torch.bool, device=features.device)
        else:
            real = self.frame_lengths(lengths).clamp(1, n_frames)
            mask = torch.arange(n_frames, device=features.device)[None, :] < real[:, None]  # (B, T)
        if self.head_kind == "utterance":
            weights = mask.float().unsqueeze(-1)
            average = lambda x: (x * weights).sum(1) / weights.sum(1)
            return Output(alpha=concentration(self.head(self._pooled(features, average))))
        return Output(alpha=concentration(self.head(self._pooled(features, self.smooth))), mask=mask)  # (B, T, 6)

    def _pooled(self, features: torch.Tensor, average) -> torch.Tensor:
        """The features' average, and with statistics pooling their standard deviation beside it."""
        mean = average(features)
        if not self.stats_pooling:
            return mean
        variance = (average(features * features) - mean * mean).clamp_min(0)
        return torch.cat([mean, torch.sqrt(variance + 1e-5)], dim=-1)

    def clip_alpha(self, samples: torch.Tensor) -> torch.Tensor:
        """One clip's (S,) audio -> (T, 6) per-frame alpha of the sequence head: the whole clip
        at once, or with a chunk length, half-overlapping chunks whose alphas are blended with
        triangular weights (each frame counts most from the chunk it is central in)."""
        audio = samples.float()[None]
        total = int(self.frame_lengths(torch.tensor([audio.shape[1]]))[0])
        frames = int(self.chunk_s * SAMPLE_RATE) // self.hop
        if not self.chunk_s or total <= frames:
            return self(audio).alpha[0]
        starts = list(range(0, total - frames + 1, max(1, frames // 2)))
        if starts[-1] != total - frames:
            starts.append(total - frames)
        alpha = self(torch.cat([audio[:, s * self.hop: (s + frames) * self.hop] for s in starts])).alpha  # (C, L, 6)
        length = alpha.shape[1]
        ramp = torch.minimum(torch.arange(1, length + 1), torch.arange(length, 0, -1)).float()[:, None]
        pad = lambda x, s: nn.functional.pad(x, (0, 0, s, total - s - length))
        summed = sum(pad(a * ramp, s) for s, a in zip(starts, alpha))
        weight = sum(pad(ramp, s) for s in starts)
        return summed / weight
