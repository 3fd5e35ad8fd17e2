"""benchmarks/model_quality.py at toy size (--quick): every stage runs, two at a time, the
table comes out, and a second run, one at a time, resumes from what the first kept instead of
training again."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_model_quality_benchmark_runs_end_to_end_and_resumes(tmp_path):
    command = [sys.executable, str(ROOT / "benchmarks" / "model_quality.py"), "--quick", "--seeds", "1",
               "--out", str(tmp_path / "mq")]
    first = subprocess.run(command + ["--jobs", "2"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.splitlines()[-1].startswith("ce: accuracy")
    summary = json.loads((tmp_path / "mq" / "summary.json").read_text())
    assert [(r["loss"], r["seed"]) for r in summary["runs"]] == [("ce", 0), ("dirichlet", 0)]
    assert all(0 <= r["accuracy"] <= 1 and 0 < r["stage2_mae"] < 1 for r in summary["runs"])
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "mq").glob("*/stage*/model.safetensors")}
    assert len(kept) == 4  # stage 1 and stage 2, both losses

    second = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0 and second.stdout.splitlines()[-1] == first.stdout.splitlines()[-1]
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # nothing trained again
