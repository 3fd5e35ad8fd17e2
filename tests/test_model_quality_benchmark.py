"""benchmarks/model_quality.py at toy size (--quick): every stage runs, two at a time, the
table comes out (the `quick_models` fixture, whose models the study test reuses), and a second
run, one at a time, resumes from what the first kept instead of training again."""
import json
import subprocess

from tests.conftest import model_quality_command


def test_the_model_quality_benchmark_runs_end_to_end_and_resumes(quick_models):
    work, first = quick_models
    assert first.splitlines()[-1].startswith("ce: accuracy")
    summary = json.loads((work / "summary.json").read_text())
    assert [(r["loss"], r["seed"]) for r in summary["runs"]] == [("ce", 0), ("dirichlet", 0)]
    assert all(0 <= r["accuracy"] <= 1 and 0 < r["stage2_mae"] < 1 for r in summary["runs"])
    kept = {p: p.stat().st_mtime_ns for p in work.glob("*/stage*/model.safetensors")}
    assert len(kept) == 4  # stage 1 and stage 2, both losses

    second = subprocess.run(model_quality_command(work), capture_output=True, text=True, timeout=600)
    assert second.returncode == 0 and second.stdout.splitlines()[-1] == first.splitlines()[-1]
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # nothing trained again
