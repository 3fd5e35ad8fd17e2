"""The embedded default checkpoints, used when no other checkpoint is configured.

Small wav2vec2 models (emotion.model.tiny_config) trained from scratch on the generated demo
corpus; the Django settings take their paths from here (DSER_STAGE1_CHECKPOINT,
DSER_STAGE2_CHECKPOINT). Rebuilt by `make checkpoints` (scripts/build_default_checkpoints.sh).
A real deployment trains `facebook/wav2vec2-base` checkpoints with train-ser/train-seq instead.
"""
from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"  # emotion/checkpoints
DEFAULT_STAGE1 = CHECKPOINT_DIR / "stage1"
DEFAULT_STAGE2 = CHECKPOINT_DIR / "stage2"

# A policy's candidate draws (emotion.candidates) at the model's own uncertainty: what the
# policy would say, which is what on-policy feedback is about.
DEFAULT_TEMPERATURE = 1.0
