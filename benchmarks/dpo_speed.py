"""DPO training step speed: with the reference model's log-densities cached (computed once
before training, as train-dpo does) against recomputing them every step; steps per second
for the embedded architecture and for base-size wav2vec2 (random weights: same cost).

    .venv/bin/python benchmarks/dpo_speed.py [--seconds 3.0] [--batch-size 4] [--steps 5] [--repeats 3]

A step: forward and backward of the policy over `batch-size` clips of `seconds` of audio
(and, without the cache, a no-grad forward of the reference over them), then Adam.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dser.audio import SAMPLE_RATE
from dser.emotions import one_hot
from dser.timeline import Timeline
from emotion.checkpoint import Metadata, save_checkpoint
from emotion.defaults import DEFAULT_STAGE2
from emotion.dpo import DPOConfig, Pair, initial_models, pair_terms, reference_logps
from emotion.model import DSERModel


def base_size_stage2(directory: Path) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    return save_checkpoint(DSERModel(Wav2Vec2Model(Wav2Vec2Config()), "sequence"), directory,
                           Metadata(stage=2, head="sequence", provenance={"note": "benchmark"}))


def steps_per_second(init: Path, pairs: list[Pair], steps: int, cached: bool) -> float:
    config = DPOConfig()
    policy, reference, config = initial_models(init, config)
    optimiser = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad], lr=1e-5)
    references = reference_logps(reference, pairs, config.likelihood)
    started = time.perf_counter()
    for _ in range(steps):
        refs = references if cached else reference_logps(reference, pairs, config.likelihood)
        loss = torch.stack([pair_terms(policy, pair, ref, config)[0] for pair, ref in zip(pairs, refs)]).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return steps / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    length = args.seconds
    pairs = [Pair(str(i), rng.normal(0, 0.1, int(length * SAMPLE_RATE)).astype(np.float32),
                  Timeline([0.0, length], [one_hot("joy"), one_hot("anger")]),
                  Timeline([0.0, length], [one_hot("sadness"), one_hot("neutral")])) for i in range(args.batch_size)]
    with tempfile.TemporaryDirectory() as scratch:
        results = {}
        for name, init in (("embedded", DEFAULT_STAGE2), ("base-size", base_size_stage2(Path(scratch) / "base"))):
            cached = statistics.median(steps_per_second(init, pairs, args.steps, True) for _ in range(args.repeats))
            fresh = statistics.median(steps_per_second(init, pairs, args.steps, False) for _ in range(args.repeats))
            results[name] = (cached, fresh)
            print(f"{name}: {cached:.2f} steps/s with the cached reference, {fresh:.2f} recomputing it", flush=True)
    for name, (cached, fresh) in results.items():
        print(f"{name:>9}: {cached:.2f} steps/s ({args.batch_size} x {args.seconds:g} s clips), "
              f"cached reference {cached / fresh:.2f}x faster than recomputing it")


if __name__ == "__main__":
    main()
