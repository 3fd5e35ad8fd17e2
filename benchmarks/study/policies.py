"""The study's policy rounds (issue 28): the same rendered comparisons judged by the same mixed
team under four serving policies, each stopped at the judgment budget that policy (a) spends,
and DPO from the Dirichlet seq2seq models on what each exports at shares of that budget:

  (a) fixed overlap 3 over every pair, each annotator's own order (as before issue 28)
  (b) a floor on the pair's difference, and adaptive overlap (2, up to 5 while split)
  (c) (b) and active choice (the comparison where a vote is worth most first)
  (d) (c) and qualification, with the export weighing annotators by skill (noisy-bt)

The floor is chosen first, from (a)'s full round: the largest of FLOORS whose DPO gain, on
(a)'s triplets of pairs at least that different, is not below (a)'s own by more than its
spread over seeds. Pairs under the floor are taken out of serving for (b)-(d) (a batch scheduled
with --min-difference would not have composed them; tests/test_informative_pairs.py tests that).
The team: `honest` annotators wrong on 15% of close calls, one always "left", one at random, and
one who answers before the video ends; the others "watch" each pair a little longer than the
server's minimum share of its length (`watch_share`: the study's clock runs faster than a person's).
Import after django.setup().
"""
import statistics
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.test import override_settings

from annotator import services
from annotator.models import ApiToken, Judgment, Qualification
from annotator.stats.qualification import Rules
from benchmarks.study.annotators import SimulatedAnnotator
from benchmarks.study.app import DATASET, reset_annotation
from dser.differences import pair_difference
from dser.jobs import Status
from dser.records import TRIPLETS_FILE, TripletRow, read_jsonl, write_jsonl
from dser.roles import ANNOTATORS, assign_role
from rendering.models import Comparison, RenderBatch
from training.services import ExportFilters, make_export

HONEST_MARGIN = 1.2  # careful annotators wait this much longer than the server's minimum watch share
FLOORS = (0.3, 0.4, 0.5)  # peak differences of sliding-window pairs: 0.18-0.83, median 0.51 (the study corpus)
BUDGET_SHARES = (0.25, 0.5, 1.0)
UNDER_FLOOR = "under the study's floor: not served in this policy round"


@dataclass(frozen=True)
class Policy:
    key: str
    label: str
    floored: bool = False
    overlap: int = 3
    max_overlap: int = 0
    active: bool = False
    qualify: bool = False
    aggregate: str = "pairwise"

    def env(self, watch_share: float) -> dict[str, str]:
        """The web server's settings for this policy's round."""
        return {"DSER_MAX_OVERLAP": str(self.max_overlap), "DSER_ACTIVE_CHOICE": str(int(self.active)),
                "DSER_QUALIFY_CONTROLS": str(Rules().controls if self.qualify else 0),
                "DSER_MIN_WATCH_SHARE": str(watch_share)}

    def filters(self, until: str = "") -> ExportFilters:
        """Today's export filters (two votes, a two-thirds majority, no failed controls, no
        answers faster than the video), with this policy's aggregation."""
        return ExportFilters(dataset=DATASET, until=until, min_votes=2, min_majority=0.6, aggregate=self.aggregate)


POLICIES = (
    Policy("a", "fixed overlap 3, every pair"),
    Policy("b", "floor + adaptive overlap", floored=True, overlap=2, max_overlap=5),
    Policy("c", "(b) + active choice", floored=True, overlap=2, max_overlap=5, active=True),
    Policy("d", "(c) + qualification + noisy-bt export", floored=True, overlap=2, max_overlap=5, active=True,
           qualify=True, aggregate="noisy-bt"),
)


def make_mixed_team(policy: Policy, honest: int, seed: int, watch_share: float) -> list[SimulatedAnnotator]:
    watch = watch_share * HONEST_MARGIN
    kinds = [(f"{i + 1}", {"watch_share": watch}) for i in range(honest)] + [
        ("left", {"always_left": True, "watch_share": watch}),
        ("random", {"random_answers": True, "watch_share": watch}), ("fast", {"watch_share": 0.0})]
    team = []
    for suffix, kind in kinds:
        user, _ = User.objects.get_or_create(username=f"policy-{policy.key}-{suffix}")
        assign_role(user, ANNOTATORS)
        Qualification.objects.filter(annotator=user).delete()  # an interrupted round's standing: start afresh
        team.append(SimulatedAnnotator(user.username, ApiToken.issue(user), error_rate=0.15, seed=seed, **kind))
    return team


@transaction.atomic
def prepare_round(policy: Policy, floor: float) -> dict:
    """Fresh votes, the policy's overlap on the study's batch, and the pairs under the floor out
    of serving (for floored policies); how many comparisons are served."""
    reset_annotation()
    RenderBatch.objects.filter(dataset=DATASET).update(overlap=policy.overlap)
    comparisons = Comparison.objects.filter(clip__dataset=DATASET)
    comparisons.filter(status=Status.CANCELLED, error=UNDER_FLOOR).update(status=Status.DONE, error="")
    if policy.floored:
        comparisons.filter(is_control=False, status=Status.DONE, peak_difference__lt=floor).update(
            status=Status.CANCELLED, error=UNDER_FLOOR)
    for clip_id in set(comparisons.values_list("clip_id", flat=True)):
        services.record_votes(clip_id)  # no votes now: each comparison's worth from its difference alone
    return {"served": comparisons.filter(status=Status.DONE).count(), "floor": floor if policy.floored else 0.0}


def budget_exports(policy: Policy, directory: Path, budget: int, watch_share: float) -> dict:
    """Exports of the round's votes as they stood after each share of `budget` judgments (every
    judgment counts, controls included: each is an annotator's time)."""
    times = list(Judgment.objects.filter(comparison__clip__dataset=DATASET).order_by("created_at", "pk")
                 .values_list("created_at", flat=True))
    exports = {}
    with override_settings(QUALIFICATION=Rules(controls=Rules().controls if policy.qualify else 0),
                           MIN_WATCH_SHARE=watch_share):
        for share in BUDGET_SHARES:
            spent = min(len(times), round(budget * share))
            export = make_export(policy.filters(until=times[spent - 1].isoformat()), directory / f"budget{share:g}")
            exports[f"{share:g}"] = {"judgments": spent, "triplets": export.triplets, "counts": export.counts,
                                     "no_signal": max(0.0, 1 - export.triplets / spent)}
    return exports


def floored_triplets(source: Path, floor: float, target: Path) -> int:
    """`source`'s triplets whose two sequences differ at least `floor` (peak difference)."""
    rows = [row for row in read_jsonl(source, TripletRow)
            if pair_difference(row.chosen, row.rejected, row.duration_s).peak >= floor]
    target.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(target, rows)
    return len(rows)


def choose_floor(gains: dict[str, list[float]], baseline: list[float]) -> float:
    """The largest floor whose mean gain is not below the baseline's by more than its spread."""
    least = statistics.mean(baseline) - (statistics.stdev(baseline) if len(baseline) > 1 else 0.0)
    kept = [float(floor) for floor, values in gains.items() if statistics.mean(values) >= least]
    return max(kept, default=0.0)


def triplets_of(out: Path, policy: str, share: float) -> Path:
    return out / "policies" / policy / "export" / f"budget{share:g}" / TRIPLETS_FILE


def policy_study(out: Path, honest: int, watch_share: float, errors: dict, env: dict, runs: list[dict], dpo,
                 progress) -> dict:
    """Every policy's round (cached in OUT/policies/KEY/round.json), the floor chosen on the
    way, and DPO at each share of the budget from each of `runs` (models of one loss):
    `dpo(triplets, run, directory)` -> its result (held-out "mae", ...). `watch_share`: the
    server's DSER_MIN_WATCH_SHARE in these rounds."""
    from benchmarks.model_quality import cached
    from benchmarks.processes import free_port, running, start_web
    from benchmarks.study.annotators import annotate_all

    rounds: dict[str, dict] = {}

    def play(policy: Policy, floor: float, budget: int | None) -> dict:
        def annotate() -> dict:
            served = prepare_round(policy, floor)
            port = free_port()
            with running(start_web({**env, **policy.env(watch_share)}, port, workers=2,
                                   log=out / "logs" / f"web-{policy.key}.log")):
                annotate_all(make_mixed_team(policy, honest, 0, watch_share), f"http://127.0.0.1:{port}", errors,
                             budget)
            spent = Judgment.objects.filter(comparison__clip__dataset=DATASET).count()
            return {**served, "judgments": spent, "budget": budget or spent,
                    "exports": budget_exports(policy, out / "policies" / policy.key / "export", budget or spent,
                                              watch_share)}

        result = cached(out / "policies" / policy.key / "round.json", annotate)
        progress(f"policy ({policy.key}) {policy.label}: {result['judgments']} judgments, "
                 f"{result['exports']['1']['triplets']} triplets")
        return result

    def gains(triplets: Path, name: str) -> list[float]:
        """Per seed, DPO's held-out gain on `triplets`; none exported: no DPO, no gain."""
        def train(run: dict) -> dict:
            if not triplets.read_text().strip():
                return {"mae": run["stage2_mae"], "train_pairs": 0}
            return dpo(triplets, run, out / "policies" / "dpo" / f"seed{run['seed']}" / name / "checkpoint")

        return [run["stage2_mae"] - cached(out / "policies" / "dpo" / f"seed{run['seed']}" / name / "result.json",
                                           lambda run=run: train(run))["mae"] for run in runs]

    rounds["a"] = play(POLICIES[0], 0.0, None)
    budget = rounds["a"]["judgments"]
    full = {"a": {"1": gains(triplets_of(out, "a", 1.0), "a-budget1")}}
    floor_gains = {}
    for floor in FLOORS:
        floored = out / "policies" / "floors" / f"floor{floor:g}.jsonl"
        floored_triplets(triplets_of(out, "a", 1.0), floor, floored)
        floor_gains[f"{floor:g}"] = gains(floored, f"a-floor{floor:g}")
    floor = choose_floor(floor_gains, full["a"]["1"])
    progress(f"floor {floor:g} (DPO gain on (a)'s triplets at each floor: {floor_gains})")
    curves = {}
    for policy in POLICIES:
        if policy.key != "a":
            rounds[policy.key] = play(policy, floor, budget)
        curves[policy.key] = {f"{share:g}": gains(triplets_of(out, policy.key, share), f"{policy.key}-budget{share:g}")
                              for share in BUDGET_SHARES}
        progress(f"policy ({policy.key}): DPO gain by budget share {curves[policy.key]}")
    return {"loss": runs[0]["loss"], "budget": budget, "floor": floor, "floor_gains": floor_gains, "rounds": rounds,
            "gains": curves, "labels": {p.key: p.label for p in POLICIES}, "budget_shares": list(BUDGET_SHARES)}
