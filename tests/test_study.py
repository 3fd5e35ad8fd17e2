"""The whole-loop study at toy size (`python -m benchmarks.study --quick`): every stage runs
for real (generator, training, a Celery worker rendering, gunicorn serving the annotation API
to simulated annotators, export, DPO) in a PostgreSQL database of its own; then a second run
resumes and redoes nothing."""
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from benchmarks.study.annotators import SimulatedAnnotator

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "dser_study_test"
REDIS_URL = "redis://127.0.0.1:6379/12"  # not the study's own default (13): a study beside the tests is left alone


@pytest.mark.pure
def test_a_simulated_annotator_errs_on_close_calls_only_and_a_biased_one_always_says_left():
    honest, biased = SimulatedAnnotator("h", "-", error_rate=0.3), SimulatedAnnotator("b", "-", always_left=True)
    rng = random.Random(0)
    close = [honest.choose(0.15, 0.17, rng) for _ in range(2000)]
    assert 0.27 < close.count("right") / len(close) < 0.33  # the worse side, 30% of the time
    assert {honest.choose(0.15, 0.30, rng) for _ in range(200)} == {"left"}  # obvious: never wrong
    assert honest.choose(0.150, 0.155, rng) == "tie"
    assert {biased.choose(0.30, 0.15, rng) for _ in range(50)} == {"left"}


def run_study(out: Path) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("MEDIA_ROOT", "DJANGO_SETTINGS_MODULE")}
    env.update(DSER_VAR_DIR=str(out / "app"), DATABASE_URL=f"postgres://dser:dser@127.0.0.1:5432/{DATABASE}",
               REDIS_URL=REDIS_URL)
    done = subprocess.run([sys.executable, "-m", "benchmarks.study", "--quick", "--seeds", "1", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def study(tmp_path_factory, quick_models) -> tuple[Path, str]:
    with psycopg.connect("postgresql://dser:dser@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    redis.Redis.from_url(REDIS_URL).flushdb()  # no messages left from an earlier, interrupted run
    out = tmp_path_factory.mktemp("study")
    shutil.copytree(quick_models[0], out / "models")  # the same toy models: not trained twice
    return out, run_study(out)


def test_every_stage_leaves_its_artefacts_and_the_report_has_the_papers_tables(study):
    out, stdout = study
    for loss in ("ce", "dirichlet"):
        for stage in ("stage1", "stage2"):
            assert (out / "models" / f"{loss}-seed0" / stage / "model.safetensors").is_file()
    assert json.loads((out / "render.json").read_text())["comparisons"] > 0
    for error in ("0", "0.15", "0.3"):
        export = out / "rounds" / f"e{error}" / "export"
        assert json.loads((export / "manifest.json").read_text())["filters"]["exclude_failed_controls"]
    results = json.loads((out / "results.json").read_text())
    sweep = {"e0.15-beta0.01", "e0.15-beta0.1", "e0.15-beta0.5", "e0.15-beta10", "e0-beta0.5", "e0.3-beta0.5"}
    for run in results["runs"]:  # the ce row also tries the paper's likelihood
        assert set(run["dpo"]) == sweep | ({"e0.15-beta0.5-likelihood-dirichlet"} if run["loss"] == "ce" else set())
    likelihoods = {(path.parts[-5], path.parts[-3]): json.loads(path.read_text())["provenance"]["config"]["likelihood"]
                   for path in out.glob("dpo/*-seed0/lr*/e0.15-beta0.5*/checkpoint/dser.json")}
    assert likelihoods == {  # each model's own by default
        ("ce-seed0", "e0.15-beta0.5"): "ce", ("ce-seed0", "e0.15-beta0.5-likelihood-dirichlet"): "dirichlet",
        ("dirichlet-seed0", "e0.15-beta0.5"): "dirichlet"}
    assert (Path(results["web_run"]["directory"]) / "training_curves.png").is_file()  # the web app's run, by a worker
    report = (out / "report.md").read_text()
    for heading in ("Table 2", "Table 3", "Table 4", "which log-likelihood", "annotator error rate",
                    "Annotation rounds", "Policies: which judgments to ask for", "Judgments against gain"):
        assert heading in report
    for plot in ("mae_by_stage", "dpo_curves", "mae_vs_error", "policy_gains", "segment_gains"):
        assert (out / "plots" / f"{plot}.png").stat().st_size > 1000
    assert (out / "app" / "media" / "study" / "report.md").read_text() == report  # published to the web app
    assert "The paper's ordering" in stdout.splitlines()[-1]


def test_every_judgment_went_through_the_api_and_the_biased_annotator_is_exposed(study):
    out, _ = study
    for error in ("0", "0.15", "0.3"):
        figures = json.loads((out / "rounds" / f"e{error}" / "round.json").read_text())["annotation"]
        assert figures["judgments"] > 0 and figures["through_api"] and not figures["refused"]
        by_name = {row["name"].rsplit("-", 1)[1]: row for row in figures["annotators"]}
        assert by_name["left"]["flagged"]  # always "left": half its controls wrong
    honest = json.loads((out / "rounds" / "e0" / "round.json").read_text())["annotation"]["annotators"]
    agreement = {row["name"].rsplit("-", 1)[1]: row["agreement"] for row in honest}
    assert agreement["left"] < min(value for name, value in agreement.items() if name != "left")
    with psycopg.connect(f"postgresql://dser:dser@127.0.0.1:5432/{DATABASE}") as database:
        stored, = database.execute("SELECT count(*) FROM annotator_judgment").fetchone()
    last_round = json.loads((out / "results.json").read_text())["policies"]["rounds"]["d"]
    assert stored == last_round["judgments"]  # the last round (policy (d)) stays in the app's database


def test_dpo_prefers_the_truer_sequence_on_held_out_clips(study):
    out, _ = study
    for run in json.loads((out / "results.json").read_text())["runs"]:
        assert run["dpo"]["e0.15-beta0.5"]["reward_accuracy"] > 0.5, run["loss"]


def test_a_second_run_resumes_and_redoes_nothing(study):
    out, _ = study
    kept = {path: path.stat().st_mtime for path in out.glob("**/*.json") if path.name != "results.json"}
    stdout = run_study(out)
    assert "comparisons done" not in stdout and "wrong: " in stdout  # nothing rendered; rounds read back
    assert {path: path.stat().st_mtime for path in kept} == kept


def test_the_policy_rounds_spend_the_same_budget_and_qualification_stops_the_careless(study):
    """Issue 28's policy rounds at toy size: (a) sets the budget, the other policies stay within
    it (a thread that asked before it ran out may still answer: one per annotator over at
    most), every policy has DPO results at each share of it, and in (d), under qualification,
    the annotator who answers before the video ends is blocked while the careful ones qualify."""
    out, _ = study
    policies = json.loads((out / "results.json").read_text())["policies"]
    budget, team = policies["budget"], 3 + 3  # the quick scale's honest annotators, and three careless ones
    assert set(policies["rounds"]) == {"a", "b", "c", "d"} and policies["rounds"]["a"]["judgments"] == budget
    for key, round_ in policies["rounds"].items():
        assert round_["judgments"] <= budget + team
        assert set(policies["gains"][key]) == {f"{share:g}" for share in policies["budget_shares"]}
        assert round_["exports"]["1"]["judgments"] == min(budget, round_["judgments"])
    with psycopg.connect(f"postgresql://dser:dser@127.0.0.1:5432/{DATABASE}") as db:
        standing = dict(db.execute("SELECT u.username, CASE WHEN q.blocked_at IS NOT NULL THEN 'blocked' WHEN "
                                   "q.qualified_at IS NOT NULL THEN 'qualified' ELSE 'qualifying' END FROM "
                                   "annotator_qualification q JOIN auth_user u ON u.id = q.annotator_id").fetchall())
    assert standing["policy-d-fast"] == "blocked"
    assert all(standing[f"policy-d-{i}"] == "qualified" for i in (1, 2, 3))


def test_segment_votes_give_more_triplets_per_judgment_and_dpo_on_them_gains(study):
    """Issue 29's table at toy size: the main round's stretch answers exported at each share of
    its judgments give more triplets than its whole-clip answers, each with the span it is
    about, and DPO on the full round's segment triplets lowers held-out MAE for each loss."""
    out, _ = study
    segments = json.loads((out / "results.json").read_text())["segments"]
    for share in segments["shares"]:
        clip, segment = (segments["exports"][f"{g}-{share:.3f}"] for g in ("clip", "segment"))
        assert clip["judgments"] == segment["judgments"] and segment["triplets"] > clip["triplets"]
    rows = [json.loads(line) for line in (out / "segments" / "export" / "segment-1.000" / "triplets.jsonl")
            .read_text().splitlines()]
    assert rows and all(len(row["spans"]) == 1 and row["spans"][0][0] < row["spans"][0][1] for row in rows)
    for loss, gains in segments["gains"].items():
        assert min(gains["segment-1.000"]) > 0, loss

