"""Does DPO on preferences that follow the truth make the sequence model better on voices it
never saw? A generated corpus with known emotion timelines, simulated annotators, the
embedded models.

    .venv/bin/python benchmarks/dpo_effect.py [--clips 80] [--beta 0.5] [--lr 1e-4] [--epochs 4] [--noise 0.15]

1. Dialogue clips from the demo generator (real MELD lines, espeak-ng voices, emotions that
   change at known times); the clips of two voices are held out from training.
2. Per clip, the embedded stage-1 model's five sliding-window sequences (window and stride
   drawn from [0.25, 1.25] s, as the render pipeline does).
3. A simulated annotator prefers, in each of the 10 pairs, the sequence closer to the true
   timeline (MAE), answers the other way with probability --noise, and has no preference
   when the two are within 0.01.
4. DPO from the embedded stage-2 model on the training voices' triplets.
5. On the held-out voices: reward accuracy on their triplets (the policy against the frozen
   init), and MAE to the true timelines of the init and of the DPO model.
"""
import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus.sources.demo import make_demo_corpus, write_dialogue_audio  # noqa: E402
from dser.audio import SAMPLE_RATE, load_audio  # noqa: E402
from dser.timeline import Timeline  # noqa: E402
from dser.windows import clip_seed, draw_params  # noqa: E402
from training.ml.checkpoint import load_checkpoint  # noqa: E402
from training.ml.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2  # noqa: E402
from training.ml.dpo import DPOConfig, evaluate_pairs, initial_models, load_triplets, reference_logps, train_dpo  # noqa: E402
from training.ml.stage2 import timeline_mae  # noqa: E402
from training.ml.windows import sequence_timeline, sliding_window_timeline  # noqa: E402

TIE_MAE = 0.01


def build_triplets(root: Path, clips: int, noise: float, seed: int) -> tuple[list[dict], list[dict], dict]:
    corpus = make_demo_corpus(root / "corpus", n_clips=clips, n_voices=0, seed=seed)
    truth = json.loads(corpus.timelines.read_text())
    voices = sorted({entry["voice"] for entry in truth.values()})
    held_out = set(voices[:2])
    stage1, _ = load_checkpoint(DEFAULT_STAGE1)
    rng = np.random.default_rng(seed)
    rows = {"train": [], "eval": []}
    truths = {}
    write_dialogue_audio(corpus)
    for name, entry in sorted(truth.items()):
        wav = corpus.dialogue_wav / f"{name}.wav"
        samples = load_audio(wav)
        duration = len(samples) / SAMPLE_RATE
        true = Timeline(entry["times"], entry["values"])
        truths[name] = (wav, true, duration)
        sequences = [sliding_window_timeline(stage1, samples, p) for p in draw_params(clip_seed(name), 5)]
        errors = [timeline_mae(s, true, duration) for s in sequences]
        part = "eval" if entry["voice"] in held_out else "train"
        for i, j in itertools.combinations(range(5), 2):
            if abs(errors[i] - errors[j]) < TIE_MAE:
                continue  # no preference
            better, worse = (i, j) if errors[i] < errors[j] else (j, i)
            if rng.random() < noise:
                better, worse = worse, better
            rows[part].append({"clip": name, "audio": str(wav.relative_to(root)),
                               "chosen": sequences[better].to_json(),
                               "rejected": sequences[worse].to_json()})
    return rows["train"], rows["eval"], {n: truths[n] for n in truths if truth[n]["voice"] in held_out}


def write(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def mae_to_truth(checkpoint: Path, truths: dict) -> float:
    model, _ = load_checkpoint(checkpoint)
    return float(np.mean([timeline_mae(sequence_timeline(model, load_audio(wav)), true, duration)
                          for wav, true, duration in truths.values()]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=80)
    parser.add_argument("--beta", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--noise", type=float, default=0.15, help="share of answers given the wrong way")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        train_rows, eval_rows, eval_truths = build_triplets(root, args.clips, args.noise, args.seed)
        train_file, eval_file = write(train_rows, root / "train.jsonl"), write(eval_rows, root / "eval.jsonl")
        print(f"{len(train_rows)} training triplets, {len(eval_rows)} held-out triplets on "
              f"{len(eval_truths)} clips of 2 held-out voices")
        config = DPOConfig(beta=args.beta, lr=args.lr, epochs=args.epochs, batch_size=4, val_fraction=0.0,
                           seed=args.seed)
        train_dpo(train_file, DEFAULT_STAGE2, root / "run", config, progress=False)
        pairs = load_triplets(eval_file)
        _, reference = initial_models(DEFAULT_STAGE2, config)
        policy, _ = load_checkpoint(root / "run")
        held_out = evaluate_pairs(policy, pairs, reference_logps(reference, pairs), config)
        before, after = mae_to_truth(DEFAULT_STAGE2, eval_truths), mae_to_truth(root / "run", eval_truths)
        print(f"held-out voices: reward accuracy {held_out['val/rewards/accuracies']:.3f} (0.5 = no change), "
              f"margin {held_out['val/rewards/margins']:.3f}")
        print(f"held-out voices: MAE to truth, stage-2 init {before:.4f} -> DPO {after:.4f} ({after / before:.3f}x)")


if __name__ == "__main__":
    main()
