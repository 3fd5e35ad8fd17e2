"""The embedded default checkpoints, used when no other checkpoint is configured.

Small wav2vec2 models (training.ml.model.tiny_config) trained from scratch on the generated
demo corpus. The Django settings compute the same stage-1 path themselves (DSER_STAGE1_CHECKPOINT). Rebuilt by `make checkpoints` (scripts/build_default_checkpoints.sh). A real
deployment trains `facebook/wav2vec2-base` checkpoints with train-ser/train-seq instead.
"""
from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"  # training/checkpoints
DEFAULT_STAGE1 = CHECKPOINT_DIR / "stage1"
DEFAULT_STAGE2 = CHECKPOINT_DIR / "stage2"
