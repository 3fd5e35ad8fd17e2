"""Inference speed of the base-size architecture on this CPU.

    .venv/bin/python benchmarks/inference_speed.py [--seconds 10] [--repeats 5] [--config base|tiny|large]

1. Real-time factor of sequence inference, fp32 and dynamic int8 (torch's quantize_dynamic
   on every Linear layer), with how far int8 moves the predicted mixtures; and, when
   --accuracy-data is given, the accuracy change on a stage-1 checkpoint (--checkpoint).
2. Batched sliding windows (all windows of a clip in one forward) against a per-window loop.

Weights are random (speed does not depend on them; no hub download). Prints medians of
--repeats runs; the last line is the ms of compute per second of audio, fp32.
"""
import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
from transformers import Wav2Vec2Config, Wav2Vec2Model

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dser.audio import SAMPLE_RATE
from dser.windows import WindowParams
from emotion.inference import sliding_window_timeline, window_batch
from emotion.model import DSERModel, tiny_config

CONFIGS = {"base": {}, "tiny": tiny_config().to_dict(), "large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                                      intermediate_size=4096, do_stable_layer_norm=True, feat_extract_norm="layer")}


def median_seconds(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def quantised(model: DSERModel) -> DSERModel:
    with warnings.catch_warnings():  # torch points to torchao; the eager API still works
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def accuracy_change(checkpoint: Path, data: Path) -> str:
    from dser.audio import load_audio
    from emotion.checkpoint import load_checkpoint
    from emotion.data import find_utterances, label_index
    from emotion.stage1 import evaluate_utterances

    model, _ = load_checkpoint(checkpoint)
    utterances, _ = find_utterances([data])
    audio = [load_audio(u.path) for u in utterances]
    labels = [label_index(u.emotion) for u in utterances]
    fp32 = evaluate_utterances(model, audio, labels)["accuracy"]
    int8 = evaluate_utterances(quantised(model), audio, labels)["accuracy"]
    return f"accuracy of {checkpoint.name} on {len(labels)} utterances: fp32 {fp32:.3f}, int8 {int8:.3f} ({int8 - fp32:+.3f})"


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--config", choices=CONFIGS, default="base")
    parser.add_argument("--checkpoint", type=Path, help="stage-1 checkpoint for the int8 accuracy check")
    parser.add_argument("--accuracy-data", type=Path, help="labelled utterances for the int8 accuracy check")
    args = parser.parse_args()
    torch.manual_seed(0)
    backbone = Wav2Vec2Model(Wav2Vec2Config(**CONFIGS[args.config])).eval()
    sequence = DSERModel(backbone, "sequence").eval()
    audio = torch.randn(1, int(args.seconds * SAMPLE_RATE)) * 0.1
    print(f"wav2vec2-{args.config}: {sum(p.numel() for p in backbone.parameters()) / 1e6:.1f} M parameters, "
          f"{torch.get_num_threads()} threads, {args.seconds:g} s of audio")

    fp32 = median_seconds(lambda: sequence(audio), args.repeats)
    int8_model = quantised(sequence)
    int8 = median_seconds(lambda: int8_model(audio), args.repeats)
    deviation = (sequence(audio).mean - int8_model(audio).mean).abs()
    print(f"sequence inference fp32: RTF {fp32 / args.seconds:.3f} ({1000 * fp32 / args.seconds:.0f} ms per s of audio)")
    print(f"sequence inference int8: RTF {int8 / args.seconds:.3f} ({1000 * int8 / args.seconds:.0f} ms per s), "
          f"{fp32 / int8:.2f}x; mixtures move by {deviation.mean():.4f} on average ({deviation.max():.4f} at most)")
    if args.checkpoint and args.accuracy_data:
        print(accuracy_change(args.checkpoint, args.accuracy_data))

    utterance = DSERModel(backbone, "utterance").eval()
    params = WindowParams(window_s=1.0, stride_s=0.25)
    samples = audio[0].numpy()
    windows, lengths, _ = window_batch(samples, params)
    batched = median_seconds(lambda: sliding_window_timeline(utterance, samples, params), args.repeats)
    loop = median_seconds(lambda: [utterance(windows[i: i + 1], lengths[i: i + 1]) for i in range(len(windows))],
                          args.repeats)
    print(f"sliding windows ({len(windows)} of {params.window_s:g} s, stride {params.stride_s:g} s): batched "
          f"{batched:.2f} s, per-window loop {loop:.2f} s, speed-up {loop / batched:.2f}x")
    print(f"fp32 sequence inference: {1000 * fp32 / args.seconds:.1f} ms per 1 s of audio")


if __name__ == "__main__":
    main()
