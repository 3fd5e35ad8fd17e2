"""Stage 2: sequence targets from a stage-1 model over sliding windows (label-windows), and a
per-frame sequence model trained on them (train-seq)."""
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dser.audio import SAMPLE_RATE, load_audio
from dser.records import ReferenceRow, read_jsonl, write_jsonl
from dser.timeline import frame_times
from dser.windows import STAGE2_TARGET_PARAMS, WindowParams
from emotion.checkpoint import Metadata, load_backbone, load_checkpoint, save_checkpoint
from emotion.data import AUDIO_SUFFIXES, pad_batch
from emotion.dirichlet import LOG_LIKELIHOODS
from emotion.inference import sequence_timeline, sliding_window_timeline
from emotion.metrics import timeline_mae
from emotion.model import SEQUENCE_CHUNK, SEQUENCE_KERNEL, DSERModel
from emotion.optim import linear_lr, take_step
from emotion.plots import save_history
from emotion.stage1 import loss_fn


def label_windows(checkpoint: Path, audio_dir: Path, out: Path, params: WindowParams = STAGE2_TARGET_PARAMS,
                  progress: bool = True) -> int:
    """Write `out` (JSONL): for every audio file below `audio_dir`, the stage-1 model's
    sliding-window timeline. Returns the number of files labelled."""
    model, _ = load_checkpoint(checkpoint)
    files = sorted(p for p in Path(audio_dir).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise ValueError(f"no .wav or .flac files below {audio_dir}")
    out = Path(out)
    rows = []
    for path in tqdm(files, desc="label windows", unit="file", disable=not progress):
        samples = load_audio(path)
        rows.append(ReferenceRow(audio=os.path.relpath(path.resolve(), out.parent.resolve()),
                                 timeline=sliding_window_timeline(model, samples, params),
                                 duration=len(samples) / SAMPLE_RATE, params=params.to_json(),
                                 checkpoint=str(checkpoint)))
    write_jsonl(out, rows)
    return len(files)


# Stage 2's validation metric: MAE to the stage-1 targets of held-out files (agreement with
# its teacher; MAE to true timelines is `python -m emotion evaluate --reference`).
VAL_METRIC = "val_mae_to_stage1_targets"


@dataclass
class Stage2Config:
    init: str = ""  # stage-1 checkpoint whose backbone starts stage 2 (else `backbone`)
    backbone: str = "facebook/wav2vec2-base"
    freeze_feature_encoder: bool = True
    epochs: int = 10
    batch_size: int = 8
    lr: float = 5e-5
    lr_end: float = 1e-5
    weight_decay: float = 1e-4
    kernel: int = 5  # the sequence head's moving average, in frames (odd)
    chunk_s: float = 0.0  # the model hears clips in half-overlapping chunks this long (0: whole clips)
    loss: str = "dirichlet"  # per frame: "dirichlet" (likelihood) or "ce" (cross-entropy of the mean)
    hard_targets: bool = False  # each frame's top target emotion as its label, not the mixture (the paper's)
    smoothing: float = 0.1  # hard targets: label smoothing under the Dirichlet loss
    nll_beta: float = 0.0  # hard targets: beta-NLL weighting under the Dirichlet loss (as stage 1's)
    min_confidence: float = 0.0  # hard targets: frames whose top emotion has less are left out
    crop_s: float = 4.0  # training crops (aligned to model frames); validation sees whole clips
    val_fraction: float = 0.2
    seed: int = 0


# Whole recipes for `train-seq --preset NAME` (see stage1.STAGE1_PRESETS); pass --init. "small":
# what let the sequence model beat its sliding-window teacher on held-out voices (README.md,
# "Model quality"): hard targets, a kernel as wide as the teacher's window, 2 s chunks, and a
# short, gentle fine-tune that keeps what stage 1 learnt about unseen voices.
STAGE2_PRESETS = {
    "small": Stage2Config(backbone="tiny", freeze_feature_encoder=False, kernel=71, chunk_s=2.0, crop_s=2.0,
                          hard_targets=True, min_confidence=0.4, loss="ce", epochs=4, batch_size=8,
                          lr=2e-4, lr_end=2e-5),
}


def _initial_model(config: Stage2Config) -> DSERModel:
    """The sequence model to train: from scratch on `backbone`, or stage 1's backbone and
    head (the same head applied per frame), so training starts at the teacher's predictions."""
    if not config.init:
        backbone = load_backbone(config.backbone, config.freeze_feature_encoder)
        _set_sequence_options(backbone, config)
        return DSERModel(backbone, "sequence")
    stage1, _ = load_checkpoint(Path(config.init))
    if config.freeze_feature_encoder:
        stage1.backbone.freeze_feature_encoder()
    _set_sequence_options(stage1.backbone, config)
    model = DSERModel(stage1.backbone, "sequence")
    model.head.load_state_dict(stage1.head.state_dict())
    return model


def _set_sequence_options(backbone, config: Stage2Config) -> None:
    setattr(backbone.config, SEQUENCE_KERNEL, config.kernel)
    setattr(backbone.config, SEQUENCE_CHUNK, config.chunk_s)


def _crop(samples: np.ndarray, crop_s: float, hop: int, rng) -> tuple[np.ndarray, float]:
    """A random crop of at most `crop_s` starting on a frame boundary, and its start time."""
    longest = int(crop_s * SAMPLE_RATE) // hop * hop
    start = 0
    if len(samples) > longest:
        start = int(rng.integers(0, (len(samples) - longest) // hop + 1)) * hop
    piece = samples[start: start + longest]
    return piece, start / SAMPLE_RATE


def sequence_loss(model: DSERModel, audio, lengths, offsets, timelines, config: Stage2Config) -> torch.Tensor:
    """Per-frame loss against the targets at the frames' centres, averaged over real frames.
    Soft targets: the Dirichlet NLL of the target mixture, or the cross-entropy of the predicted
    mean against it (Table 3's rows). Hard targets: each frame's top emotion as its label, under
    stage 1's losses (self-training's pseudo-labels)."""
    output = model(audio, lengths)
    times = frame_times(output.alpha.shape[1], model.frame_rate, centred=True)
    targets = torch.from_numpy(np.stack([t.sample(times + offset) for t, offset in zip(timelines, offsets)])).float()
    if config.hard_targets:
        confidence, labels = targets.max(-1)
        keep = output.mask & (confidence >= config.min_confidence)
        if not keep.any():
            return output.alpha.sum() * 0.0  # nothing confident in this batch: no update
        return loss_fn(config.loss, config.smoothing, config.nll_beta)(output.alpha[keep], labels[keep])
    log_prob = LOG_LIKELIHOODS[config.loss](output.alpha, targets)  # (B, T)
    return -(log_prob * output.mask).sum() / output.mask.sum()


def train_seq(targets: Path, out: Path, config: Stage2Config, progress: bool = True) -> dict:
    if config.loss not in ("dirichlet", "ce"):
        raise ValueError(f"loss must be 'dirichlet' or 'ce', not {config.loss!r}")
    if config.kernel < 1 or config.kernel % 2 == 0:
        raise ValueError(f"the kernel must be an odd number of frames, not {config.kernel}")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    rows = read_jsonl(targets, ReferenceRow)
    order = rng.permutation(len(rows))
    n_val = max(1, round(len(rows) * config.val_fraction))
    if len(rows) < 2:
        raise ValueError("train-seq needs at least two labelled files (one for validation)")
    val_rows, train_rows = [rows[i] for i in order[:n_val]], [rows[i] for i in order[n_val:]]
    load = lambda items: [(load_audio(Path(r.audio)), r.timeline)
                          for r in tqdm(items, desc="load audio", disable=not progress)]
    train, val = load(train_rows), load(val_rows)
    model = _initial_model(config)
    hop = model.hop
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    total, step, best, history = -(-len(train) // config.batch_size) * config.epochs, 0, float("inf"), []
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        losses = []
        order = rng.permutation(len(train))
        for first in tqdm(range(0, len(train), config.batch_size), desc=f"epoch {epoch}/{config.epochs}",
                          disable=not progress):
            batch = [train[i] for i in order[first: first + config.batch_size]]
            crops = [_crop(samples, config.crop_s, hop, rng) for samples, _ in batch]
            audio, lengths = pad_batch([piece for piece, _ in crops])
            loss = sequence_loss(model, audio, lengths, [offset for _, offset in crops], [t for _, t in batch], config)
            lr = linear_lr(step, total, config.lr, config.lr_end)
            losses.append(take_step(optimiser, loss, lr, f"epoch {epoch}, step {step}")[0])
            step += 1
        model.eval()
        # Measured against the validation files' stage-1 targets, not against any truth:
        # how well the sequence model learned its teacher.
        mae = float(np.mean([timeline_mae(sequence_timeline(model, s), t, len(s) / SAMPLE_RATE) for s, t in val]))
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), VAL_METRIC: mae,
                        "seconds": time.perf_counter() - started})
        if progress:
            tqdm.write(f"epoch {epoch}: loss {history[-1]['train_loss']:.4f}, val MAE to targets {mae:.4f}")
        if mae < best:
            best = mae
            save_checkpoint(model, out, Metadata(stage=2, head="sequence", metrics={
                VAL_METRIC: mae, "best_epoch": epoch, "train_files": len(train), "val_files": len(val)},
                provenance={"command": "train-seq", "targets": str(targets), "config": asdict(config)}))
        save_history(history, out, f"stage 2: best validation MAE to its stage-1 targets {best:.4f}")
    return {VAL_METRIC: best, "seconds": time.perf_counter() - started, "history": history}
