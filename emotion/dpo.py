"""Stage 3: the sequence model fine-tuned on human preferences with Direct Preference
Optimization (train-dpo).

    python -m emotion train-dpo --triplets export/triplets.jsonl --init ckpt/stage2 --out runs/dpo

For a clip x with a chosen and a rejected timeline (y_w, y_l), sampled onto the model's frame
clock, every frame t gives
    L_t = -log σ(β [(log pθ(y_w,t|x) - log p_ref(y_w,t|x)) - (log pθ(y_l,t|x) - log p_ref(y_l,t|x))])
averaged over a pair's frames (or summed) and over pairs. A segment triplet (one with `spans`,
a preference about those stretches only) gives one term per span s instead, on the span's
frames' mean log-likelihoods (DenseDPO, arXiv 2506.03517):
    L_s = -log σ(β [mean_t∈s (log pθ(y_w,t|x) - log p_ref(y_w,t|x)) - mean_t∈s (... y_l ...)])
averaged (or summed) over its spans. Here log p is the log-likelihood the
init model was trained to maximise (emotion.dirichlet.LOG_LIKELIHOODS): the Dirichlet
density log Dir(y|alpha), or for a cross-entropy model sum_k y_k log mean_k. The reference is
the init model, frozen (or, with `--reference CHECKPOINT`, another sequence model: iterative
DPO compares each round's policy with the previous round's model), and its log-likelihoods are
computed once before training. `--label-smoothing ε` takes each label as flipped with
probability ε (robust DPO, TRL's `label_smoothing`). Dropout is off in both.
Each clip goes through the model on its own (no padding), so a pair's log-densities do not
depend on which other clips share its batch and the cached reference stays exact.
"""
import copy
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from dser.audio import SAMPLE_RATE, load_audio
from dser.files import atomic_path
from dser.records import TripletRow, read_jsonl
from dser.timeline import Timeline, frame_times
from dser.windows import MAX_WINDOW_S
from emotion.checkpoint import Metadata, checkpoint_hash, load_checkpoint, save_checkpoint
from emotion.dirichlet import LOG_LIKELIHOODS
from emotion.dpo_config import DPOConfig
from emotion.model import DSERModel
from emotion.optim import linear_lr, take_step
from emotion.plots import save_dpo_curves

# A timeline covers its audio when its last keyframe is this close to the end: sliding-window
# predictions sit at window centres, so the last one is up to half a window early (a whole
# window allowed, for timelines made by other tools).
COVER_TOLERANCE_S = MAX_WINDOW_S


@dataclass
class Pair:
    clip: str
    audio: np.ndarray  # (S,) 16 kHz
    chosen: Timeline
    rejected: Timeline
    spans: tuple[tuple[float, float], ...] = ()  # [start_s, end_s) the preference is about; () = every frame


def dpo_loss(chosen_logps: torch.Tensor, rejected_logps: torch.Tensor, ref_chosen_logps: torch.Tensor,
             ref_rejected_logps: torch.Tensor, beta: float,
             label_smoothing: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The sigmoid DPO loss, elementwise over any shape (here (T,) frames of one pair); with
    `label_smoothing` ε, the robust form (each label flipped with probability ε):
    -(1 - ε) log σ(margin) - ε log σ(-margin). Returns (losses, chosen_rewards,
    rejected_rewards), all of the input's shape; the rewards are beta * (policy - reference)
    log-densities, detached."""
    chosen_rewards = beta * (chosen_logps - ref_chosen_logps)
    rejected_rewards = beta * (rejected_logps - ref_rejected_logps)
    margin = chosen_rewards - rejected_rewards
    losses = -(1 - label_smoothing) * F.logsigmoid(margin) - label_smoothing * F.logsigmoid(-margin)
    return losses, chosen_rewards.detach(), rejected_rewards.detach()


def load_triplets(path: Path, model: DSERModel | None = None) -> list[Pair]:
    """Every triplet of `path`, or ValueError saying which line is wrong and why (with `model`,
    also a span that holds none of its frames)."""
    rows = read_jsonl(path, TripletRow)
    if not rows:
        raise ValueError(f"{path} has no triplets")
    pairs = []
    for number, row in enumerate(rows, 1):
        audio = load_audio(row.audio)
        duration = len(audio) / SAMPLE_RATE
        for name, timeline in (("chosen", row.chosen), ("rejected", row.rejected)):
            if not duration - COVER_TOLERANCE_S <= timeline.times[-1] <= duration + COVER_TOLERANCE_S:
                raise ValueError(f"{path}, triplet {number}: the {name} timeline ends at {timeline.times[-1]:.2f} s "
                                 f"but its audio lasts {duration:.2f} s (not this audio's timeline?)")
        clock = (int(model.frame_lengths(torch.tensor([len(audio)]))[0]), model.frame_rate) if model else (None, None)
        try:
            spans = checked_spans(row.spans or [], duration, *clock)
        except ValueError as error:
            raise ValueError(f"{path}, triplet {number}: {error}") from None
        pairs.append(Pair(str(row.clip), audio, row.chosen, row.rejected, spans))
    return pairs


def checked_spans(spans: list, duration: float, frames: int | None = None,
                  frame_rate: float | None = None) -> tuple[tuple[float, float], ...]:
    """`spans` as (start_s, end_s) pairs, or ValueError: not pairs of numbers, outside the
    clip, or (given the model's clock) holding none of its frames."""
    checked = []
    for span in spans:
        if not (isinstance(span, list | tuple) and len(span) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in span)):
            raise ValueError(f"a span must be [start_s, end_s], not {span!r}")
        start, end = map(float, span)
        if not 0 <= start < end <= duration + COVER_TOLERANCE_S:
            raise ValueError(f"the span [{start:g}, {end:g}] s is not a stretch of the clip (0 to {duration:.2f} s)")
        if frames is not None and not span_masks([(start, end)], frames, frame_rate).any():
            raise ValueError(f"the span [{start:g}, {end:g}] s holds none of the model's frames "
                             f"({frame_rate:g} per second)")
        checked.append((start, end))
    return tuple(checked)


def span_masks(spans, frames: int, frame_rate: float) -> torch.Tensor:
    """(S, T) 0/1: which of a clip's T frames (by their centres) fall in each [start, end)."""
    times = torch.from_numpy(frame_times(frames, frame_rate, centred=True))
    return torch.stack([(times >= start) & (times < end) for start, end in spans]).float()


def span_means(logps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """(T,) per-frame log-likelihoods -> (S,) their mean over each span's frames."""
    return (masks * logps).sum(-1) / masks.sum(-1)


def split_by_clip(pairs: list[Pair], val_fraction: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    clips = sorted({pair.clip for pair in pairs})
    np.random.default_rng(seed).shuffle(clips)
    held_out = set(clips[:round(len(clips) * val_fraction)]) if len(clips) > 1 else set()
    return [p for p in pairs if p.clip not in held_out], [p for p in pairs if p.clip in held_out]


def pair_logps(model: DSERModel, pair: Pair, likelihood: str = "dirichlet") -> tuple[torch.Tensor, torch.Tensor]:
    """(T,) per-frame log-likelihoods of the chosen and of the rejected timeline."""
    alpha = model.clip_alpha(torch.from_numpy(pair.audio))  # (T, 6)
    times = frame_times(alpha.shape[0], model.frame_rate, centred=True)
    chosen = torch.from_numpy(pair.chosen.sample(times)).float()
    rejected = torch.from_numpy(pair.rejected.sample(times)).float()
    log_likelihood = LOG_LIKELIHOODS[likelihood]
    return log_likelihood(alpha, chosen), log_likelihood(alpha, rejected)


@torch.no_grad()
def reference_logps(reference: DSERModel, pairs: list[Pair], likelihood: str, progress: bool = False) -> list[tuple]:
    return [pair_logps(reference, pair, likelihood) for pair in tqdm(pairs, desc="reference", disable=not progress)]


def pair_terms(model: DSERModel, pair: Pair, reference: tuple, config: DPOConfig) -> tuple[torch.Tensor, dict]:
    """One pair's loss (reduced over its frames, or its spans) and the numbers its metrics are
    made of."""
    logps = (*pair_logps(model, pair, config.likelihood), *reference)  # chosen, rejected, and the reference's
    if pair.spans:
        masks = span_masks(pair.spans, len(logps[0]), model.frame_rate)
        logps = tuple(span_means(values, masks) for values in logps)
    chosen, rejected = logps[:2]
    losses, chosen_rewards, rejected_rewards = dpo_loss(*logps, config.beta, config.label_smoothing)
    reduce = torch.sum if config.loss_reduction == "sum" else torch.mean
    margin = float((chosen_rewards - rejected_rewards).sum())
    loss = reduce(losses)
    return loss, {"loss": float(loss.detach()), "rewards/chosen": float(chosen_rewards.mean()),
            "rewards/rejected": float(rejected_rewards.mean()), "rewards/accuracies": float(margin > 0),
            "logps/chosen": float(chosen.detach().mean()), "logps/rejected": float(rejected.detach().mean())}


def summarise(terms: list[dict], prefix: str = "") -> dict:
    record = {f"{prefix}{key}": float(np.mean([t[key] for t in terms])) for key in terms[0]}
    record[f"{prefix}rewards/margins"] = record[f"{prefix}rewards/chosen"] - record[f"{prefix}rewards/rejected"]
    return record


@torch.no_grad()
def evaluate_pairs(model: DSERModel, pairs: list[Pair], references: list[tuple], config: DPOConfig) -> dict:
    return summarise([pair_terms(model, p, r, config)[1] for p, r in zip(pairs, references)], prefix="val/")


def initial_models(init: Path, config: DPOConfig) -> tuple[DSERModel, DSERModel, DPOConfig]:
    """The policy (trainable), from the init checkpoint, and the frozen reference: the init
    itself, or `config.reference`'s checkpoint; and `config` with its likelihood made concrete
    (the init's)."""
    config.check()
    policy, metadata = sequence_model(init)
    if config.freeze_feature_encoder:
        policy.backbone.freeze_feature_encoder()
    reference = copy.deepcopy(policy) if config.reference == "init" else sequence_model(Path(config.reference))[0]
    if reference.frame_rate != policy.frame_rate:
        raise ValueError(f"the reference {config.reference} runs at {reference.frame_rate:g} frames a second, the "
                         f"init {init} at {policy.frame_rate:g}: they must share a clock")
    for parameter in reference.parameters():
        parameter.requires_grad_(False)
    # eval: dropout and layer drop off in both
    return policy.eval(), reference.eval(), replace(config, likelihood=likelihood_for(config, metadata))


def sequence_model(path: Path) -> tuple[DSERModel, Metadata]:
    model, metadata = load_checkpoint(path)
    if model.head_kind != "sequence":
        raise ValueError(f"{path} is a stage-{metadata.stage} {model.head_kind} model; DPO needs a sequence model")
    return model, metadata


def trained_likelihood(metadata: Metadata) -> str:
    """The likelihood a sequence model was trained on: its stage 2's loss (a DPO checkpoint
    records the likelihood it was trained with), else the paper's Dirichlet density."""
    trained = metadata.provenance.get("config", {})
    return trained.get("likelihood", trained.get("loss", "dirichlet"))


def likelihood_for(config: DPOConfig, init: Metadata) -> str:
    """The likelihood `config` names, or for "auto" the init's (trained_likelihood)."""
    likelihood = trained_likelihood(init) if config.likelihood == "auto" else config.likelihood
    if likelihood not in LOG_LIKELIHOODS:
        raise ValueError(f"likelihood must be one of auto, {', '.join(LOG_LIKELIHOODS)}, not {likelihood!r}")
    return likelihood


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def train_dpo(triplets: Path, init: Path, out: Path, config: DPOConfig, progress: bool = True,
              on_record: Callable[[dict], None] | None = None, should_stop: Callable[[], bool] | None = None) -> dict:
    """Fine-tune `init` on `triplets`; the checkpoint of every finished epoch is written to
    `out`, so stopping (`should_stop`) keeps the last one. `on_record` gets every log record."""
    if config.loss_reduction not in ("mean", "sum"):
        raise ValueError("loss reduction must be 'mean' or 'sum'")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    policy, reference, config = initial_models(Path(init), config)
    train, val = split_by_clip(load_triplets(triplets, policy), config.val_fraction, config.seed)
    train_refs, val_refs = (reference_logps(reference, pairs, config.likelihood, progress) for pairs in (train, val))
    optimiser = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad], lr=config.lr)
    total = -(-len(train) // config.batch_size) * config.epochs
    out, log, step, started = Path(out), [], 0, time.perf_counter()

    def record(entry: dict) -> None:
        log.append(entry)
        if on_record:
            on_record(entry)

    for epoch in range(1, config.epochs + 1):
        order, epoch_terms = rng.permutation(len(train)), []
        for first in tqdm(range(0, len(order), config.batch_size), desc=f"epoch {epoch}/{config.epochs}",
                          disable=not progress):
            if should_stop and should_stop():
                return finish(log, out, started, stopped=True)
            losses, terms = zip(*(pair_terms(policy, train[i], train_refs[i], config)
                                  for i in order[first: first + config.batch_size]))
            loss = torch.stack(losses).mean()
            _, grad_norm = take_step(optimiser, loss, linear_lr(step, total, config.lr, config.lr / 10),
                                     f"epoch {epoch}, step {step}")
            step += 1
            epoch_terms += terms
            record({"kind": "step", "step": step, "epoch": epoch, **summarise(list(terms)), "grad_norm": grad_norm,
                    "lr": optimiser.param_groups[0]["lr"]})
        summary = {"kind": "epoch", "epoch": epoch, "step": step, **summarise(epoch_terms),
                   **(evaluate_pairs(policy, val, val_refs, config) if val else {}),
                   "seconds": time.perf_counter() - started}
        record(summary)
        save_checkpoint(policy, out, Metadata(stage=3, head="sequence", metrics=summary, provenance={
            "command": "train-dpo", "triplets": str(triplets), "triplets_sha256": file_hash(triplets),
            "init": str(init), "init_sha256": checkpoint_hash(Path(init)), "beta": config.beta,
            "reference_sha256": checkpoint_hash(Path(init if config.reference == "init" else config.reference)),
            "train_pairs": len(train), "val_pairs": len(val), "config": asdict(config)}))
        write_log(log, out)
        if progress:
            tqdm.write(" ".join(f"{k} {v:.4f}" for k, v in summary.items() if isinstance(v, float)))
    return finish(log, out, started, stopped=False)


def write_log(log: list[dict], out: Path) -> None:
    with atomic_path(out / "training_log.jsonl") as partial:
        partial.write_text("".join(json.dumps(entry) + "\n" for entry in log))
    save_dpo_curves(log, out)


def finish(log: list[dict], out: Path, started: float, stopped: bool) -> dict:
    epochs = [entry for entry in log if entry["kind"] == "epoch"]
    return {"epochs": len(epochs), "last": epochs[-1] if epochs else None, "stopped": stopped,
            "seconds": time.perf_counter() - started}
