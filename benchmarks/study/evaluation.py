"""The study's DPO runs and what is measured on the held-out clips (voices no training step
heard): MAE to the true timelines, and reward accuracy on preferences that follow the truth."""
import itertools
import json
from pathlib import Path

import torch

from benchmarks.study.annotators import truer_side
from dser.audio import SAMPLE_RATE, load_audio
from dser.records import ReferenceRow, TripletRow, read_jsonl, write_jsonl
from dser.windows import clip_seed, draw_params
from emotion.checkpoint import load_checkpoint
from emotion.dpo import DPOConfig, evaluate_pairs, initial_models, load_triplets, reference_logps, train_dpo
from emotion.evaluate import mae_rows
from emotion.inference import sliding_window_timeline
from emotion.metrics import timeline_mae
from rendering.options import DEFAULTS

PER_CLIP = DEFAULTS.sequences  # as many sequences per clip as a render batch draws


def write_heldout_triplets(stage1: Path, reference: Path, out: Path) -> int:
    """Per held-out clip, the five sliding-window sequences the render pipeline would draw from
    `stage1`, and every pair of them that does not look the same, the truer one chosen (no
    annotator error: this is the yardstick)."""
    model, _ = load_checkpoint(stage1)
    rows = []
    for row in read_jsonl(reference, ReferenceRow):
        samples, truth = load_audio(Path(row.audio)), row.timeline
        duration = len(samples) / SAMPLE_RATE
        name = Path(row.audio).stem
        sequences = [sliding_window_timeline(model, samples, p) for p in draw_params(clip_seed(name), PER_CLIP)]
        errors = [timeline_mae(s, truth, duration) for s in sequences]
        for i, j in itertools.combinations(range(PER_CLIP), 2):
            side = truer_side(errors[i], errors[j])
            if side != "tie":
                better, worse = (i, j) if side == "left" else (j, i)
                rows.append(TripletRow(clip=name, audio=row.audio, chosen=sequences[better], rejected=sequences[worse]))
    write_jsonl(out, rows)
    return len(rows)


class HeldOut:
    """Clips with true timelines, and optionally triplets on them, with each init's reference
    log-densities computed once."""

    def __init__(self, reference: Path, triplets: Path | None = None):
        self.reference = reference
        self.pairs = load_triplets(triplets) if triplets else []
        self._references: dict[str, list] = {}

    def mae(self, checkpoint: Path) -> float:
        return mae_rows([checkpoint], self.reference, progress=False)[0]["mae"]

    def reward_accuracy(self, checkpoint: Path, init: Path, config: DPOConfig) -> dict:
        """How often `checkpoint`'s implicit reward (against `init`) prefers the truer sequence."""
        if not self.pairs:
            return {}
        _, frozen, config = initial_models(init, config)
        if str(init) not in self._references:
            with torch.no_grad():
                self._references[str(init)] = reference_logps(frozen, self.pairs, config.likelihood)
        policy, _ = load_checkpoint(checkpoint)
        with torch.no_grad():
            scores = evaluate_pairs(policy.eval(), self.pairs, self._references[str(init)], config)
        return {"reward_accuracy": scores["val/rewards/accuracies"], "reward_margin": scores["val/rewards/margins"]}


def dpo_run(triplets: Path, init: Path, out: Path, config: DPOConfig, held_out: HeldOut) -> dict:
    """Train DPO from `init` on `triplets` and measure it on the held-out clips."""
    result = train_dpo(triplets, init, out, config, progress=False)
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
    curve = [{"step": e["step"], "loss": e["loss"], "accuracy": e["rewards/accuracies"]}
             for e in log if e["kind"] == "step"]
    return {"mae": held_out.mae(out), **held_out.reward_accuracy(out, init, config), "seconds": result["seconds"],
            "train_pairs": len(triplets.read_text().splitlines()), "curve": curve}
