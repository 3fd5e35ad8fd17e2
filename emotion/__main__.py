"""Emotion models for ML engineers: train, label, evaluate, predict.

    python -m emotion train-ser --data crema_d/ [--data ravdess/] --out ckpt/stage1 [--loss dirichlet]
    python -m emotion train-ser --data crema_d/ --out ckpt/stage1 --preset small    (the embedded default's recipe)
    python -m emotion label-windows --checkpoint ckpt/stage1 --audio dialogues/ --out targets/targets.jsonl
    python -m emotion train-seq --targets targets/targets.jsonl --init ckpt/stage1 --out ckpt/stage2
    python -m emotion train-dpo --triplets export/triplets.jsonl --init ckpt/stage2 --out runs/dpo [--beta 0.5]
    python -m emotion evaluate ckpt/stage1 ckpt/stage2 --reference reference.jsonl   (MAE, frames' top emotion)
    python -m emotion evaluate ckpt/stage1 --data held_out/ [--baseline train/] [--plots DIR]   (WA, UA, macro-F1)
    python -m emotion predict speech.wav [--checkpoint ckpt/stage2] [--plot timeline.png]

Backbones: a hub id (facebook/wav2vec2-base, facebook/wav2vec2-large-lv60), a local directory,
or "tiny" (small, from scratch). Set HF_HUB_OFFLINE=1 where the hub cannot be reached.
"""
import argparse
import json
import sys
from dataclasses import fields, replace
from pathlib import Path

import torch

from dser.audio import SAMPLE_RATE, load_audio
from dser.emotions import EMOTIONS
from dser.files import write_text_atomic
from dser.windows import STAGE2_TARGET_PARAMS, WindowParams
from emotion.checkpoint import CheckpointError, load_checkpoint
from emotion.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2
from emotion.dpo import DPOConfig, train_dpo
from emotion.evaluate import ACCURACY_COLUMNS, MAE_COLUMNS, accuracy_rows, format_table, mae_rows, predict_timeline
from emotion.plots import plot_confusion, plot_timelines
from emotion.stage1 import STAGE1_PRESETS, Stage1Config, train_ser
from emotion.stage2 import STAGE2_PRESETS, VAL_METRIC, Stage2Config, label_windows, train_seq


def _add_config(parser: argparse.ArgumentParser, config_class, presets: dict | None = None) -> None:
    """One --flag per field of a training config dataclass. A flag left out takes its value
    from --preset if one is named, else the dataclass's default."""
    if presets:
        defaults = config_class()
        recipes = "; ".join(f"{name}: " + ", ".join(f"{f.name}={getattr(recipe, f.name)!r}" for f in fields(recipe)
                                                   if getattr(recipe, f.name) != getattr(defaults, f.name))
                            for name, recipe in presets.items())
        parser.add_argument("--preset", choices=sorted(presets),
                            help=f"a whole recipe; flags given beside it change only those settings ({recipes})")
    for field in fields(config_class):
        flag = "--" + field.name.replace("_", "-")
        if field.type is bool or isinstance(field.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                                help=f"default: {field.default!r}")
        else:
            parser.add_argument(flag, type=type(field.default), default=argparse.SUPPRESS,
                                help=f"default: {field.default!r}")


def _config(args, config_class, presets: dict | None = None):
    """The named preset (or the dataclass's defaults) with the flags given on top."""
    base = presets[args.preset] if getattr(args, "preset", None) else config_class()
    return replace(base, **{f.name: getattr(args, f.name) for f in fields(config_class) if hasattr(args, f.name)})


def _window_args(parser):
    parser.add_argument("--window", type=float, default=STAGE2_TARGET_PARAMS.window_s,
                        help="sliding window of utterance models (s)")
    parser.add_argument("--stride", type=float, default=STAGE2_TARGET_PARAMS.stride_s, help="sliding-window stride (s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emotion", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True)

    ser = commands.add_parser("train-ser", help="stage 1: utterance model from labelled utterances")
    ser.add_argument("--data", type=Path, action="append", required=True, help="folder of CREMA-D/RAVDESS/JL files")
    ser.add_argument("--out", type=Path, required=True, help="checkpoint directory (the epoch --keep picks)")
    _add_config(ser, Stage1Config, STAGE1_PRESETS)

    label = commands.add_parser("label-windows", help="stage-2 targets: a stage-1 model over sliding windows")
    label.add_argument("--checkpoint", type=Path, default=DEFAULT_STAGE1)
    label.add_argument("--audio", type=Path, required=True, help="folder of dialogue audio (.wav/.flac)")
    label.add_argument("--out", type=Path, required=True, help="targets file (JSONL)")
    _window_args(label)

    seq = commands.add_parser("train-seq", help="stage 2: sequence model from label-windows targets")
    seq.add_argument("--targets", type=Path, required=True)
    seq.add_argument("--out", type=Path, required=True)
    _add_config(seq, Stage2Config, STAGE2_PRESETS)

    dpo = commands.add_parser("train-dpo", help="stage 3: the sequence model fine-tuned on preference triplets")
    dpo.add_argument("--triplets", type=Path, required=True, help="triplets.jsonl from export_preferences")
    dpo.add_argument("--init", type=Path, default=DEFAULT_STAGE2, help="stage-2 checkpoint (policy and reference)")
    dpo.add_argument("--out", type=Path, required=True, help="run directory: checkpoint, training_log.jsonl, curves")
    _add_config(dpo, DPOConfig)

    evaluate = commands.add_parser("evaluate", help="accuracy (--data) or MAE against timelines (--reference)")
    evaluate.add_argument("checkpoints", type=Path, nargs="+")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, action="append", help="labelled utterances: accuracy")
    source.add_argument("--reference", type=Path, help="JSONL of audio + timeline: MAE")
    evaluate.add_argument("--json", type=Path, help="also write the rows as JSON")
    evaluate.add_argument("--plots", type=Path, metavar="DIR",
                          help="write each row's confusion matrix (of frames' top emotion, with --reference) as a PNG")
    evaluate.add_argument("--baseline", type=Path, action="append", metavar="TRAIN_DIR",
                          help="with --data: also train the classical baseline (MFCC, pitch, energy + logistic "
                               "regression) on TRAIN_DIR and show it as a row")
    _window_args(evaluate)

    predict = commands.add_parser("predict", help="the emotion timeline of an audio file")
    predict.add_argument("audio", type=Path)
    predict.add_argument("--checkpoint", type=Path, default=DEFAULT_STAGE2)
    predict.add_argument("--plot", type=Path, help="write a PNG of the timeline")
    predict.add_argument("--json", type=Path, help="write the timeline as JSON")
    predict.add_argument("--every", type=float, default=0.5, help="print a row every N seconds")
    _window_args(predict)
    return parser


def run(args) -> None:
    progress = not args.quiet
    if args.command == "train-ser":
        result = train_ser(args.data, args.out, _config(args, Stage1Config, STAGE1_PRESETS), progress)
        print(f"kept validation accuracy {result['val_accuracy']:.3f} in {result['seconds']:.0f} s -> {args.out}")
    elif args.command == "label-windows":
        count = label_windows(args.checkpoint, args.audio, args.out, WindowParams(args.window, args.stride), progress)
        print(f"labelled {count} files -> {args.out}")
    elif args.command == "train-seq":
        result = train_seq(args.targets, args.out, _config(args, Stage2Config, STAGE2_PRESETS), progress)
        print(f"best validation MAE to its stage-1 targets {result[VAL_METRIC]:.4f} in {result['seconds']:.0f} s -> {args.out}")
    elif args.command == "train-dpo":
        result = train_dpo(args.triplets, args.init, args.out, _config(args, DPOConfig), progress)
        last = result["last"]
        print(f"{result['epochs']} epochs in {result['seconds']:.0f} s -> {args.out}: loss {last['loss']:.4f}, "
              f"held-out reward accuracy {last.get('val/rewards/accuracies', float('nan')):.3f}")
    elif args.command == "evaluate":
        if args.data:
            rows, columns = accuracy_rows(args.checkpoints, args.data, progress, args.baseline), ACCURACY_COLUMNS
        else:
            rows, columns = mae_rows(args.checkpoints, args.reference, WindowParams(args.window, args.stride),
                                     progress), MAE_COLUMNS
        print(format_table(rows, columns))
        if args.json:
            write_text_atomic(args.json, json.dumps(rows, indent=1))
        if args.plots:
            plot_confusions(rows, args.plots)
    elif args.command == "predict":
        predict(args)


def plot_confusions(rows: list[dict], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for number, row in enumerate(rows, 1):
        name = "baseline" if row["method"] == "baseline" else Path(row["checkpoint"]).name
        target = directory / f"confusion_{number}_{name}.png"
        plot_confusion(row["confusion"], target, f"{row['checkpoint']} ({row['method']})")
        print(f"confusion matrix -> {target}")


def predict(args) -> None:
    model, metadata = load_checkpoint(args.checkpoint)
    samples = load_audio(args.audio)
    duration = len(samples) / SAMPLE_RATE
    timeline = predict_timeline(model, samples, WindowParams(args.window, args.stride))
    print(f"{'time':>6}  {'dominant':<8}  " + "  ".join(f"{e[:7]:>7}" for e in EMOTIONS))
    t = 0.0
    while t <= duration:
        mixture = timeline.sample(t)
        print(f"{t:6.2f}  {EMOTIONS[mixture.argmax()]:<8}  " + "  ".join(f"{v:7.3f}" for v in mixture))
        t += args.every
    if args.json:
        timeline.save(args.json)
    if args.plot:
        plot_timelines({f"stage {metadata.stage}": timeline}, duration, args.plot, title=str(args.audio.name))
        print(f"plot -> {args.plot}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        run(args)
    except (CheckpointError, ValueError, FileNotFoundError, FloatingPointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
