"""The DSER model: wav2vec2 features -> head -> Dirichlet concentration per utterance or frame.

    alpha = g(head(features)),  g(x) = x^2 + 1e-6,  prediction = alpha / sum(alpha)

utterance head: mean over the clip's frames -> Linear(hidden, 6)            (stage 1)
sequence head:  moving average over frames (kernel 5, stride 1, same length)
                -> Linear(hidden, 6) per frame, 50 frames per second          (stage 2)
"""
from dataclasses import dataclass

import torch
from torch import nn
from transformers import Wav2Vec2Config, Wav2Vec2Model

from dser.audio import SAMPLE_RATE
from dser.emotions import EMOTIONS
from training.ml.dirichlet import concentration, dirichlet_mean

HEAD_KINDS = ("utterance", "sequence")


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
        hidden = backbone.config.hidden_size
        self.smooth = MovingAverage(5) if head == "sequence" else nn.Identity()
        self.head = nn.Linear(hidden, len(EMOTIONS))
        # Start every alpha near 1 (a flat Dirichlet). A head started at x ~ 0 has alpha ~ 1e-6,
        # the Dirichlet loss's label-independent optimum (density in every corner), where
        # g'(x) = 2x ~ 0 and it stays (README.md, "Why the Dirichlet loss collapses").
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.constant_(self.head.bias, 1.0)

    @property
    def frame_rate(self) -> float:
        hop = 1
        for stride in self.backbone.config.conv_stride:
            hop *= stride
        return SAMPLE_RATE / hop

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return self.backbone._get_feat_extract_output_lengths(lengths).long()

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor | None = None) -> Output:
        """audio (B, S) at 16 kHz, zero-padded after each clip's `lengths` samples."""
        features = self.backbone(audio).last_hidden_state  # (B, T, H)
        n_frames = features.shape[1]
        if lengths is None:
            mask = torch.ones(features.shape[:2], dtype=torch.bool, device=features.device)
        else:
            real = self.frame_lengths(lengths).clamp(1, n_frames)
            mask = torch.arange(n_frames, device=features.device)[None, :] < real[:, None]  # (B, T)
        if self.head_kind == "utterance":
            weights = mask.float().unsqueeze(-1)
            pooled = (features * weights).sum(1) / weights.sum(1)  # (B, H)
            return Output(alpha=concentration(self.head(pooled)))
        smoothed = self.smooth(features)
        return Output(alpha=concentration(self.head(smoothed)), mask=mask)  # (B, T, 6)

