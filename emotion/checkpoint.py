"""Checkpoints: a directory holding the whole model, loadable offline.

    config.json        the wav2vec2 backbone's Hugging Face config
    model.safetensors  every weight: backbone and head
    dser.json          stage, head kind, emotions, provenance, metrics

A backbone to start training from is a Hugging Face hub id or a directory
(`facebook/wav2vec2-base`), or "tiny" for the small from-scratch architecture.
"""
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import safetensors.torch
from transformers import Wav2Vec2Config, Wav2Vec2Model

from dser.emotions import EMOTIONS
from dser.files import atomic_path
from emotion.model import LEVEL_INPUT, PROSODY_INPUT, STATS_POOLING, DSERModel, tiny_config

METADATA = "dser.json"


class CheckpointError(ValueError):
    pass


@dataclass
class Metadata:
    stage: int  # 1 utterance, 2 sequence, 3 sequence fine-tuned with DPO
    head: str
    emotions: list[str] = field(default_factory=lambda: list(EMOTIONS))
    provenance: dict = field(default_factory=dict)  # command, data, base checkpoint, time
    metrics: dict = field(default_factory=dict)


def load_backbone(name: str, freeze_feature_encoder: bool = True, level_input: bool = True,
                  stats_pooling: bool = True, prosody_input: bool = False) -> Wav2Vec2Model:
    """'tiny' (from scratch), a local directory, or a hub id (offline if HF_HUB_OFFLINE=1),
    with the head options (emotion.model) that every model built on it will have."""
    backbone = Wav2Vec2Model(tiny_config()) if name == "tiny" else Wav2Vec2Model.from_pretrained(name)
    setattr(backbone.config, LEVEL_INPUT, level_input)
    setattr(backbone.config, STATS_POOLING, stats_pooling)
    setattr(backbone.config, PROSODY_INPUT, prosody_input)
    if freeze_feature_encoder:
        backbone.freeze_feature_encoder()
    return backbone


def save_checkpoint(model: DSERModel, directory: Path, metadata: Metadata) -> Path:
    """Write `model` to `directory` (created); each file is written, then renamed into place."""
    directory = Path(directory)
    metadata.provenance.setdefault("saved_at", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    writers = {
        "config.json": lambda p: model.backbone.config.to_json_file(p),
        "model.safetensors": lambda p: safetensors.torch.save_file(state, str(p), metadata={"format": "pt"}),
        METADATA: lambda p: p.write_text(json.dumps(asdict(metadata), indent=2)),
    }
    for name, write in writers.items():
        with atomic_path(directory / name) as partial:
            write(partial)
    return directory


def checkpoint_hash(directory: Path) -> str:
    """sha256 of a checkpoint's weights and metadata: what identifies the model that made a
    prediction, wherever the directory is later moved."""
    digest = hashlib.sha256()
    for name in ("model.safetensors", METADATA):
        path = Path(directory) / name
        if not path.is_file():
            raise CheckpointError(f"{directory} has no {name}")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_metadata(directory: Path) -> Metadata:
    path = Path(directory) / METADATA
    if not path.is_file():
        raise CheckpointError(f"{directory} is not a DSER checkpoint (no {METADATA})")
    try:
        data = json.loads(path.read_text())
        emotions = data.get("emotions")
        metadata = Metadata(**data)
    except (ValueError, TypeError, AttributeError) as exc:  # not JSON, not an object, unknown keys
        raise CheckpointError(f"{directory}: {METADATA} is malformed ({exc})") from None
    if emotions != list(EMOTIONS):
        raise CheckpointError(f"{directory} predicts {emotions}, not {list(EMOTIONS)}")
    return metadata


def find_checkpoints(roots: list[Path], head: str) -> list[Path]:
    """Every checkpoint directory with a `head` ("utterance" or "sequence") model below
    `roots`, sorted; unreadable ones are left out. What a web form may offer to choose from."""
    found = set()
    for root in roots:
        for metadata in sorted(Path(root).glob(f"**/{METADATA}")):
            try:
                if load_metadata(metadata.parent).head == head:
                    found.add(metadata.parent.resolve())
            except CheckpointError:
                continue
    return sorted(found)


def load_checkpoint(directory: Path, map_location: str = "cpu") -> tuple[DSERModel, Metadata]:
    """The model (in eval mode) and its metadata. Raises CheckpointError on anything missing."""
    directory = Path(directory)
    metadata = load_metadata(directory)
    for name in ("config.json", "model.safetensors"):
        if not (directory / name).is_file():
            raise CheckpointError(f"{directory} has no {name}")
    backbone = Wav2Vec2Model(Wav2Vec2Config.from_json_file(str(directory / "config.json")))
    model = DSERModel(backbone, metadata.head)
    state = safetensors.torch.load_file(str(directory / "model.safetensors"), device=map_location)
    model.load_state_dict(state, strict=True)
    return model.eval(), metadata

