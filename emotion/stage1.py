"""Stage 1: an utterance-level emotion model from labelled utterances (train-ser)."""
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dser.audio import load_audio
from emotion.checkpoint import Metadata, load_backbone, save_checkpoint
from emotion.data import Augment, find_utterances, label_index, pad_batch, split_by_speaker
from emotion.dirichlet import cross_entropy_loss, dirichlet_nll_loss
from emotion.metrics import classification_scores
from emotion.model import DSERModel
from emotion.optim import linear_lr, moving_average, take_step
from emotion.plots import save_history


@dataclass
class Stage1Config:
    backbone: str = "facebook/wav2vec2-base"  # hub id, local directory, or "tiny"
    freeze_feature_encoder: bool = True
    level_input: bool = True  # head options: emotion.model
    stats_pooling: bool = True
    prosody_input: bool = False  # pitch and voicing channels (emotion.prosody); off until a sweep shows a gain
    loss: str = "ce"  # "ce" or "dirichlet"
    smoothing: float = 0.1  # label smoothing for the Dirichlet loss
    nll_beta: float = 0.0  # Dirichlet loss: weight samples by sum(alpha)^-beta (emotion.dirichlet)
    mean_ce: float = 0.0  # Dirichlet loss: plus this times its mean's cross-entropy (docs/experiments.md, "Small corpora")
    epochs: int = 10
    batch_size: int = 16
    lr: float = 5e-5  # decays linearly to lr_end
    lr_end: float = 1e-5
    weight_decay: float = 1e-4
    ema_decay: float = 0.999  # validate and keep a moving average of the weights (0: the weights themselves)
    val_fraction: float = 0.2  # share of speakers held out
    keep: str = "auto"  # "best" validation epoch, "last" epoch, or "auto" (keep_best)
    augment: bool = True
    seed: int = 0


# Whole recipes for `train-ser --preset NAME`. "small": the embedded default's, a small
# wav2vec2 from scratch that trains on a 2-core CPU in minutes (README.md, "Model quality").
STAGE1_PRESETS = {
    "small": Stage1Config(backbone="tiny", freeze_feature_encoder=False, epochs=24, batch_size=8, lr=1e-3, lr_end=2e-4,
                          val_fraction=0.1, smoothing=0.05, nll_beta=1.0),
}


# Fewer validation speakers than this cannot pick an epoch: one held-out voice unlike every
# training voice scores chance from the second epoch on, and "best" is then a barely trained
# model (docs/experiments.md, "Small corpora").
MIN_SELECTION_SPEAKERS = 3


def keep_best(config: Stage1Config, val_speakers: int) -> bool:
    """Whether the best validation epoch is kept (else the last): "auto" keeps it when the
    validation speakers are enough to choose by."""
    if config.keep not in ("auto", "best", "last"):
        raise ValueError(f"keep must be 'auto', 'best' or 'last', not {config.keep!r}")
    return config.keep == "best" or (config.keep == "auto" and val_speakers >= MIN_SELECTION_SPEAKERS)


def loss_fn(kind: str, smoothing: float, nll_beta: float = 0.0, mean_ce: float = 0.0):
    if kind == "ce":
        return cross_entropy_loss
    if kind == "dirichlet":
        return lambda alpha, labels: (dirichlet_nll_loss(alpha, labels, smoothing, nll_beta)
                                      + (mean_ce * cross_entropy_loss(alpha, labels) if mean_ce else 0.0))
    raise ValueError(f"loss must be 'ce' or 'dirichlet', not {kind!r}")


@torch.no_grad()
def evaluate_utterances(model: DSERModel, audio: list[np.ndarray], labels: list[int], batch_size: int = 16) -> dict:
    """`classification_scores` of the model's top emotion per utterance."""
    model.eval()
    predictions = []
    for i in range(0, len(audio), batch_size):
        batch, lengths = pad_batch(audio[i: i + batch_size])
        predictions += model(batch, lengths).mean.argmax(-1).tolist()
    return classification_scores(labels, predictions)


def train_ser(data: list[Path], out: Path, config: Stage1Config, progress: bool = True) -> dict:
    """Train on the labelled utterances below `data`; keep the best validation checkpoint in `out`."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    utterances, skipped = find_utterances(data)
    if not utterances:
        raise ValueError(f"no CREMA-D, RAVDESS or JL-corpus named audio below {', '.join(map(str, data))}")
    train, val = split_by_speaker(utterances, config.val_fraction, config.seed)
    if not val:
        raise ValueError("validation needs at least two speakers")
    load = lambda items: [load_audio(u.path) for u in tqdm(items, desc="load audio", disable=not progress)]
    train_audio, val_audio = load(train), load(val)
    train_labels, val_labels = [label_index(u.emotion) for u in train], [label_index(u.emotion) for u in val]

    backbone = load_backbone(config.backbone, config.freeze_feature_encoder,
                             config.level_input, config.stats_pooling, config.prosody_input)
    model = DSERModel(backbone, "utterance")
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    # The average is what is validated and saved: per-step noise makes single epochs' weights
    # uneven on unseen voices (README.md, "Model quality").
    average = moving_average(model, config.ema_decay) if config.ema_decay else None
    kept = average.module if average else model
    criterion = loss_fn(config.loss, config.smoothing, config.nll_beta, config.mean_ce)
    augment = Augment() if config.augment else (lambda samples, _rng: samples)
    steps_per_epoch = -(-len(train) // config.batch_size)
    total, step, best, history = steps_per_epoch * config.epochs, 0, -1.0, []
    val_speakers = sorted({u.speaker for u in val})
    by_validation = keep_best(config, len(val_speakers))  # else every epoch replaces the last
    started = time.perf_counter()

    for epoch in range(1, config.epochs + 1):
        model.train()
        order = rng.permutation(len(train))
        losses = []
        bar = tqdm(range(0, len(order), config.batch_size), desc=f"epoch {epoch}/{config.epochs}", disable=not progress)
        for first in bar:
            indices = order[first: first + config.batch_size]
            audio, lengths = pad_batch([augment(train_audio[i], rng) for i in indices])
            labels = torch.tensor([train_labels[i] for i in indices])
            loss = criterion(model(audio, lengths).alpha, labels)
            lr = linear_lr(step, total, config.lr, config.lr_end)
            losses.append(take_step(optimiser, loss, lr, f"epoch {epoch}, step {step}")[0])
            if average:
                average.update_parameters(model)
            bar.set_postfix(loss=f"{np.mean(losses):.3f}")
            step += 1
        scores = evaluate_utterances(kept, val_audio, val_labels, config.batch_size)
        record = {"epoch": epoch, "train_loss": float(np.mean(losses)), "val_accuracy": scores["accuracy"],
                  "lr": optimiser.param_groups[0]["lr"], "seconds": time.perf_counter() - started}
        history.append(record)
        if progress:
            tqdm.write(f"epoch {epoch}: loss {record['train_loss']:.4f}, val accuracy {scores['accuracy']:.3f}")
        if scores["accuracy"] > best or not by_validation:
            best = scores["accuracy"]
            metrics = {"val_accuracy": best, "val_recall": scores["recall"], "val_confusion": scores["confusion"],
                       "kept_epoch": epoch, "kept": "best" if by_validation else "last",
                       "train_utterances": len(train), "val_utterances": len(val),
                       "val_speakers": val_speakers, "skipped_files": skipped}
            save_checkpoint(kept, out, Metadata(stage=1, head="utterance", metrics=metrics, provenance={
                "command": "train-ser", "data": [str(d) for d in data], "config": asdict(config)}))
        save_history(history, out, f"stage 1 ({config.loss} loss): kept validation accuracy {best:.3f}")
    return {"val_accuracy": best, "seconds": time.perf_counter() - started, "history": history}
