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


def test_the_corpus_size_sweep_compares_preset_and_baseline_per_size(tmp_path):
    """Tried: `--voices 2,3` at toy size, one loss and seed, CREMA-D-like shared sentences.
    Must hold: one corpus per size with that many voices, speaking the same sentences, in the
    style's own folder; a row per size with the preset beside that corpus's baseline; the plot."""
    command = model_quality_command(tmp_path) + ["--voices", "2,3", "--losses", "dirichlet", "--shared-sentences"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    sweep = tmp_path / "sweep-shared-sentences"
    results = json.loads((sweep / "results.json").read_text())
    assert [(r["voices"], r["loss"], r["seeds"]) for r in results["summary"]] == [(2, "dirichlet", 1), (3, "dirichlet", 1)]
    for voices in (2, 3):
        train = sweep / f"voices-{voices}" / "seed0" / "train"
        assert len(json.loads((train / "crema_d" / "voices.json").read_text())) == voices
        run = next(r for r in results["runs"] if r["voices"] == voices)
        assert run["baseline_accuracy"] == json.loads((train.parent / "baseline.json").read_text())["accuracy"]
    assert (sweep / "sweep.png").stat().st_size > 10_000
    assert done.stdout.splitlines()[-1].startswith("2 voices dirichlet: ")
