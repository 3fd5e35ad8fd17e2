"""Will annotators be able to judge a policy's candidates, and are they about the model? Per
clip of a generated corpus in voices no training step heard: the five sequences a render batch
would compare, from a stage-1 model's drawn sliding windows, or from a sequence model's
candidates (`schedule_renders --policy`: its prediction and draws) at several temperatures.

    .venv/bin/python benchmarks/candidate_spread.py [--clips 24] [--stage1 CKPT] [--policy CKPT] [--temperatures 0.5,1,2]

For each source: the spread (mean difference between a clip's sequences over every pair, as a
batch reports it), the median peak difference of a pair (dser.differences; annotators tell
pairs apart by it), the share of pairs whose peak is under 0.3, each sequence's MAE to the true
timeline (mean over sequences; for candidates also the prediction's alone), and the share of
clips whose candidates could not be made distinct (CandidatesError). The last line: the
spread of candidates at temperature 1 against that of sliding windows, a ratio measured here.
"""
import argparse
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus.sources.demo import make_demo_corpus, write_dialogue_audio
from corpus.sources.speech import split_voices
from dser.audio import SAMPLE_RATE, load_audio
from dser.differences import pair_difference
from dser.records import ReferenceRow, read_jsonl
from dser.windows import clip_seed, draw_params
from emotion.candidates import CandidatesError, candidate_timelines
from emotion.checkpoint import load_checkpoint
from emotion.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2
from emotion.dpo import trained_likelihood
from emotion.inference import sliding_window_timeline
from emotion.metrics import timeline_mae
from rendering.options import DEFAULTS


def figures(clips: list[tuple[list, object, float]]) -> dict:
    """clips: (sequences, truth, duration) -> the figures of the module docstring."""
    spreads, peaks, maes, first = [], [], [], []
    for sequences, truth, duration in clips:
        pairs = [pair_difference(a, b, duration) for a, b in itertools.combinations(sequences, 2)]
        spreads.append(np.mean([p.mean for p in pairs]))
        peaks += [p.peak for p in pairs]
        errors = [timeline_mae(s, truth, duration) for s in sequences]
        maes.append(np.mean(errors))
        first.append(errors[0])
    return {"spread": float(np.mean(spreads)), "median peak": float(np.median(peaks)),
            "peak < 0.3": float(np.mean(np.array(peaks) < 0.3)), "MAE": float(np.mean(maes)),
            "first MAE": float(np.mean(first))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--stage1", type=Path, default=DEFAULT_STAGE1)
    parser.add_argument("--policy", type=Path, default=DEFAULT_STAGE2)
    parser.add_argument("--temperatures", default="0.5,1,2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = make_demo_corpus(Path(tmp), n_clips=args.clips, n_voices=0, seed=5, voices=split_voices().held_out)
        write_dialogue_audio(corpus)
        rows = [(load_audio(corpus.root / row.audio), row.timeline, Path(row.audio).stem)
                for row in read_jsonl(corpus.reference, ReferenceRow)]
    stage1, _ = load_checkpoint(args.stage1)
    policy, metadata = load_checkpoint(args.policy)
    likelihood = trained_likelihood(metadata)
    windows = [([sliding_window_timeline(stage1, samples, p) for p in draw_params(clip_seed(name), DEFAULTS.sequences)],
                truth, len(samples) / SAMPLE_RATE) for samples, truth, name in rows]
    table = {"sliding windows": figures(windows)}
    for temperature in (float(t) for t in args.temperatures.split(",")):
        made, failed = [], 0
        for samples, truth, name in rows:
            try:
                made.append((candidate_timelines(policy, samples, DEFAULTS.sequences, clip_seed(f"{name}/policy"),
                                                 temperature, likelihood), truth, len(samples) / SAMPLE_RATE))
            except CandidatesError:
                failed += 1
        table[f"candidates, temperature {temperature:g}"] = {**figures(made), "not distinct": failed / len(rows)}
    print(f"{len(rows)} clips; policy {args.policy} ({likelihood} likelihood); stage 1 {args.stage1}")
    keys = ["spread", "median peak", "peak < 0.3", "MAE", "first MAE", "not distinct"]
    print(f"{'source':<30}" + "".join(f"{key:>14}" for key in keys))
    for name, row in table.items():
        print(f"{name:<30}" + "".join(f"{row[key]:>14.3f}" if key in row else f"{'-':>14}" for key in keys))
    ratio = table["candidates, temperature 1"]["spread"] / table["sliding windows"]["spread"] \
        if "candidates, temperature 1" in table else float("nan")
    print(f"candidate spread at temperature 1 / sliding-window spread: {ratio:.2f}")

if __name__ == "__main__":
    main()
