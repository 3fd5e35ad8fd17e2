"""The report's section on issue 29's table: per loss, DPO's held-out gain from whole-clip and
from segment votes at each share of the main round's judgments, training signals (triplets)
per judgment, and the budget at which segment votes first reach the whole-clip full-budget
gain; a plot of gain against judgments."""
import statistics
from pathlib import Path

from benchmarks.model_quality import spread as fmt
from benchmarks.study.report import plot_panels, table
from benchmarks.study.segment_votes import export_key

TARGET_SHARE = 1 / 3  # segment votes should reach the full-budget whole-clip gain with at most this share
TARGET_SIGNALS = 0.8  # segment triplets per judgment, at least


def first_reaching(segments: dict, loss: str) -> tuple[int | None, float | None]:
    """(judgments, share) at which segment votes' mean gain first reaches the whole-clip
    full-budget mean gain; (None, None) when no measured share does."""
    gains = segments["gains"][loss]
    target = statistics.mean(gains[export_key("clip", 1.0)])
    for share in segments["shares"]:
        if statistics.mean(gains[export_key("segment", share)]) >= target:
            return segments["exports"][export_key("segment", share)]["judgments"], share
    return None, None


def segment_section(results: dict) -> str:
    segments = results["segments"]
    parts = ["## Judgments against gain: whole-clip and segment votes (issue 29)\n\n"
             "The main round (15% of close calls answered wrongly, one always-left annotator), every annotator also "
             "answering each marked stretch, exported as its votes stood after each share of its judgments: from the "
             "whole-clip answers (one triplet per comparison with a majority) and from the stretch answers (one per "
             "stretch with a majority, DPO on that stretch's frames). DPO at the main β and each loss's chosen "
             "learning rate; gain = seq2seq MAE − DPO MAE on the held-out clips (mean ± spread over seeds); signals "
             "per judgment = triplets ÷ judgments."]
    for loss, gains in segments["gains"].items():
        rows = []
        for share in segments["shares"]:
            clip, segment = (segments["exports"][export_key(g, share)] for g in ("clip", "segment"))
            rows.append([f"{share:.0%}", clip["judgments"], clip["triplets"],
                         f"{clip['triplets'] / clip['judgments']:.2f}", fmt(gains[export_key("clip", share)], 4),
                         segment["triplets"], f"{segment['triplets'] / segment['judgments']:.2f}",
                         fmt(gains[export_key("segment", share)], 4)])
        judgments, share = first_reaching(segments, loss)
        reached = (f"segment votes reach the whole-clip full-budget gain at {judgments} judgments ({share:.0%} of "
                   f"the round; target at most {TARGET_SHARE:.0%})" if judgments else
                   "segment votes do not reach the whole-clip full-budget gain within the round")
        seeds = len(gains[export_key("clip", 1.0)])
        parts.append(f"### {loss} ({seeds} seed{'s' * (seeds > 1)})\n\n" + table(
            ["share", "judgments", "clip triplets", "per judgment", "clip gain", "segment triplets", "per judgment",
             "segment gain"], rows) + f"\n\n{loss}: {reached}; target signals per judgment ≥ {TARGET_SIGNALS:g}.")
    return "\n\n".join(parts) + "\n\n![DPO gain against judgments, by granularity](plots/segment_gains.png)"


def plot_segment_gains(results: dict, plots: Path) -> None:
    segments = results["segments"]

    def line(loss: str, granularity: str) -> tuple[list, list[list[float]]]:
        keys = [export_key(granularity, share) for share in segments["shares"]]
        return [segments["exports"][key]["judgments"] for key in keys], [segments["gains"][loss][key] for key in keys]

    plot_panels({loss: {f"{g} votes": line(loss, g) for g in segments["granularities"]} for loss in segments["gains"]},
                ("judgments", "held-out MAE gain over seq2seq"), "DPO gain", plots / "segment_gains.png")
