"""The study's judgments-against-gain table (issue 29): the main round's votes (annotators
wrong on 15% of close calls, one always "left"; every one of them also answers each marked
stretch) exported as they stood after each share of its judgments, once from the whole-clip
answers and once from the stretch answers (the same filters; `--granularity clip|segment`),
and DPO from every stage-2 model on each, at the main β and each loss's chosen learning rate.
Run while the main round's votes are the study's (before the policy rounds); every export and
run is kept in OUT/segments. Import after django.setup().
"""
from dataclasses import replace
from pathlib import Path

from annotator.models import Judgment
from benchmarks.study.app import DATASET, EXPORT_FILTERS
from dser.records import TRIPLETS_FILE
from training.services import make_export

GRANULARITIES = ("clip", "segment")


def export_key(granularity: str, share: float) -> str:
    return f"{granularity}-{share:.3f}"


def segment_study(out: Path, shares: tuple[float, ...], runs: list[dict], dpo, progress) -> dict:
    """Exports at each of `shares` of the judgments and each granularity, and per loss the
    held-out gain of DPO from each of `runs` on each: `dpo(triplets, run, directory)` -> its
    result (held-out "mae", ...)."""
    from benchmarks.model_quality import cached

    times = list(Judgment.objects.filter(comparison__clip__dataset=DATASET).order_by("created_at", "pk")
                 .values_list("created_at", flat=True))
    exports = {}
    for share in shares:
        spent = max(1, round(len(times) * share))
        for granularity in GRANULARITIES:
            key, directory = export_key(granularity, share), out / "segments" / "export" / export_key(granularity, share)
            exports[key] = cached(directory / "export.json", lambda: {"judgments": spent, "triplets": make_export(
                replace(EXPORT_FILTERS, until=times[spent - 1].isoformat(), granularity=granularity),
                directory).triplets})
        kept = [exports[export_key(g, share)] for g in GRANULARITIES]
        progress(f"votes after {share:.0%} of the main round ({kept[0]['judgments']} judgments): "
                 + ", ".join(f"{g} {export['triplets']} triplets" for g, export in zip(GRANULARITIES, kept)))

    def gain(run: dict, key: str) -> float:
        triplets = out / "segments" / "export" / key / TRIPLETS_FILE
        directory = out / "segments" / "dpo" / f"{run['loss']}-seed{run['seed']}" / key
        result = cached(directory / "result.json", lambda: dpo(triplets, run, directory / "checkpoint")
                        if triplets.read_text().strip() else {"mae": run["stage2_mae"], "train_pairs": 0})
        return run["stage2_mae"] - result["mae"]

    gains: dict[str, dict[str, list[float]]] = {}
    for run in runs:
        for key in exports:
            gains.setdefault(run["loss"], {}).setdefault(key, []).append(gain(run, key))
        progress(f"{run['loss']} seed {run['seed']}: DPO gain by export {gains[run['loss']]}")
    return {"shares": list(shares), "granularities": list(GRANULARITIES), "exports": exports, "gains": gains}
