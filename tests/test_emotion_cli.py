"""`python -m emotion` end to end on a small generated corpus: every command, both losses."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from corpus.sources.demo import DemoCorpus, write_dialogue_audio
from dser.audio import load_audio
from dser.emotions import EMOTIONS
from emotion.__main__ import main
from emotion.checkpoint import load_checkpoint
from emotion.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2
from emotion.evaluate import predict_timeline
from emotion.metrics import classification_scores

TINY = ["--backbone", "tiny", "--no-freeze-feature-encoder", "--batch-size", "8", "--lr", "1e-3"]


@pytest.mark.pure
def test_classification_scores_by_hand():
    """Three anger (one taken for disgust), two disgust (one for neutral), one neutral: the
    absent emotions count in neither UA nor macro-F1."""
    scores = classification_scores([0, 0, 0, 1, 1, 4], [0, 0, 1, 1, 4, 4])
    assert scores["accuracy"] == pytest.approx(4 / 6)
    assert scores["recall"] == pytest.approx({"anger": 2 / 3, "disgust": 1 / 2, "neutral": 1.0})
    assert scores["unweighted_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert scores["macro_f1"] == pytest.approx((4 / 5 + 2 / 4 + 2 / 3) / 3)  # 2·TP / (true + predicted)
    assert scores["confusion"][0][:2] == [2, 1] and scores["confusion"][1][4] == 1


@pytest.fixture(scope="module")
def workspace(demo_corpus, tmp_path_factory):
    """A folder holding a copy of the demo corpus with its dialogue audio as WAV (corpus/
    dialogue_wav) and their true timelines (corpus/reference.jsonl), as --with-wav writes."""
    root = tmp_path_factory.mktemp("training")
    shutil.copytree(demo_corpus.root, root / "corpus")
    assert write_dialogue_audio(DemoCorpus(root / "corpus")) == 8
    return root


@pytest.fixture(scope="module")
def stage1(workspace, demo_corpus):
    out = workspace / "stage1"
    assert main(["--quiet", "train-ser", "--data", str(demo_corpus.crema_d), "--out", str(out), "--epochs", "2", *TINY]) == 0
    return out


def test_train_ser_keeps_a_checkpoint_with_metrics_and_curves(stage1):
    """The demo corpus holds out fewer voices than can choose an epoch: the last one is kept."""
    model, metadata = load_checkpoint(stage1)
    assert (metadata.stage, metadata.head, model.head_kind) == (1, "utterance", "utterance")
    assert 0.0 <= metadata.metrics["val_accuracy"] <= 1.0
    assert len(metadata.metrics["val_speakers"]) < 3
    assert (metadata.metrics["kept"], metadata.metrics["kept_epoch"]) == ("last", 2)
    assert metadata.metrics["val_speakers"] and metadata.provenance["command"] == "train-ser"
    history = json.loads((stage1 / "training_history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert (stage1 / "training_curves.png").stat().st_size > 1000


def test_train_ser_with_the_dirichlet_loss(workspace, demo_corpus):
    out = workspace / "stage1-dirichlet"
    code = main(["--quiet", "train-ser", "--data", str(demo_corpus.crema_d), "--out", str(out), "--epochs", "1",
                 "--loss", "dirichlet", *TINY])
    assert code == 0
    assert load_checkpoint(out)[1].provenance["config"]["loss"] == "dirichlet"


def test_label_windows_then_train_seq_then_evaluate(workspace, stage1, capsys):
    targets = workspace / "targets" / "targets.jsonl"
    assert main(["--quiet", "label-windows", "--checkpoint", str(stage1), "--audio", str(workspace / "corpus" / "dialogue_wav"),
                 "--out", str(targets)]) == 0
    rows = [json.loads(line) for line in targets.read_text().splitlines()]
    assert len(rows) == 8 and rows[0]["params"] == {"window_s": 1.4, "stride_s": 1.0}
    assert (targets.parent / rows[0]["audio"]).is_file()  # paths relative to the targets file

    stage2 = workspace / "stage2"
    assert main(["--quiet", "train-seq", "--targets", str(targets), "--init", str(stage1), "--out", str(stage2),
                 "--epochs", "1", "--batch-size", "4", "--no-freeze-feature-encoder", "--lr", "1e-3"]) == 0
    model, metadata = load_checkpoint(stage2)
    assert (metadata.stage, model.head_kind) == (2, "sequence") and metadata.metrics["val_mae_to_stage1_targets"] < 1
    assert metadata.provenance["config"]["loss"] == "dirichlet"

    capsys.readouterr()
    assert main(["--quiet", "evaluate", str(stage1), str(stage2), "--reference", str(workspace / "corpus" / "reference.jsonl"),
                 "--json", str(workspace / "mae.json"), "--plots", str(workspace / "plots")]) == 0
    table = capsys.readouterr().out
    assert "sliding window 1.4/1 s" in table and "sequence" in table and "frame acc" in table
    results = json.loads((workspace / "mae.json").read_text())
    assert [r["stage"] for r in results] == [1, 2] and all(0 <= r["mae"] <= 1 and r["n"] == 8 for r in results)
    for row in results:  # each frame's top emotion, scored as a classification over all clips' frames
        frames = np.asarray(row["confusion"])
        assert row["frame_accuracy"] == pytest.approx(np.trace(frames) / frames.sum()) and frames.sum() > 8 * 50
    assert len(list((workspace / "plots").glob("confusion_*.png"))) == 2


def test_the_small_presets_are_the_whole_recipe_and_flags_beside_them_change_one_setting(workspace, stage1):
    """train-ser and train-seq --preset small with --epochs 1 (and the cross-entropy loss for
    stage 2): every other setting comes from the preset, and the head options travel on."""
    out = workspace / "preset-stage1"
    assert main(["--quiet", "train-ser", "--preset", "small", "--epochs", "1", "--data",
                 str(workspace / "corpus" / "crema_d"), "--out", str(out)]) == 0
    config = load_checkpoint(out)[1].provenance["config"]
    assert (config["backbone"], config["lr"], config["epochs"], config["freeze_feature_encoder"]) == ("tiny", 1e-3, 1, False)
    assert (config["smoothing"], config["nll_beta"]) == (0.05, 1.0)  # the Dirichlet loss's, README "β-NLL"
    targets = workspace / "preset-targets.jsonl"
    assert main(["--quiet", "label-windows", "--checkpoint", str(out), "--audio",
                 str(workspace / "corpus" / "dialogue_wav"), "--out", str(targets)]) == 0
    assert main(["--quiet", "train-seq", "--preset", "small", "--epochs", "1", "--loss", "ce", "--kernel", "9",
                 "--targets", str(targets), "--init", str(out), "--out", str(workspace / "preset-stage2")]) == 0
    model, metadata = load_checkpoint(workspace / "preset-stage2")
    config = metadata.provenance["config"]
    assert (config["loss"], config["epochs"], config["hard_targets"]) == ("ce", 1, True)
    assert (model.level_input, model.stats_pooling, model.smooth.pool.kernel_size, model.chunk_s) == (True, True, (9,), 2.0)


def test_evaluate_accuracy_and_predict(workspace, stage1, demo_corpus, capsys):
    assert main(["--quiet", "evaluate", str(stage1), "--data", str(demo_corpus.crema_d)]) == 0
    assert "accuracy" in capsys.readouterr().out
    audio = sorted((workspace / "corpus" / "dialogue_wav").glob("*.wav"))[0]
    assert main(["predict", str(audio), "--checkpoint", str(stage1), "--plot", str(workspace / "t.png"),
                 "--json", str(workspace / "t.json")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[:2] == ["time", "dominant"] and len(printed) > 3
    assert json.loads((workspace / "t.json").read_text())["times"]
    assert (workspace / "t.png").stat().st_size > 1000


def test_misuse_gets_a_clear_error(workspace, capsys):
    assert main(["predict", str(workspace / "missing.wav"), "--checkpoint", str(workspace)]) == 1
    assert "not a DSER checkpoint" in capsys.readouterr().err
    assert main(["train-ser", "--data", str(workspace / "corpus" / "dialogue_wav"), "--out", str(workspace / "x"), *TINY]) == 1
    assert "no CREMA-D, RAVDESS or JL-corpus" in capsys.readouterr().err


def test_the_library_has_one_cli_with_six_subcommands():
    """`python -m emotion --help` lists them all; the ML engineers' app has no CLI of its own."""
    result = subprocess.run([sys.executable, "-m", "emotion", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "{train-ser,label-windows,train-seq,train-dpo,evaluate,predict}" in result.stdout
    gone = subprocess.run([sys.executable, "-m", "training", "--help"], capture_output=True, text=True)
    assert gone.returncode != 0 and "cannot be directly executed" in gone.stderr


def test_the_embedded_default_checkpoints_load_offline_and_predict(demo_corpus):
    stage1, meta1 = load_checkpoint(DEFAULT_STAGE1)
    stage2, meta2 = load_checkpoint(DEFAULT_STAGE2)
    assert (meta1.stage, stage1.head_kind, meta2.stage, stage2.head_kind) == (1, "utterance", 2, "sequence")
    assert meta1.metrics["val_accuracy"] > 0.5  # held-out voices; chance is 1/6
    samples = load_audio(sorted(demo_corpus.crema_d.glob("*.wav"))[0])
    for model in (stage1, stage2):
        timeline = predict_timeline(model, samples)
        assert timeline.values.shape[1] == 6 and len(timeline.times) >= 1


def test_evaluate_puts_a_classical_baseline_beside_the_neural_models(demo_corpus, tmp_path, capsys):
    """The baseline trains on one voice's utterances and is scored on the other voice's, the
    same utterances the checkpoint is scored on."""
    for folder in ("train", "held_out"):
        (tmp_path / folder).mkdir()
    for wav in demo_corpus.crema_d.glob("*.wav"):
        shutil.copy(wav, tmp_path / ("train" if wav.name.startswith("1001_") else "held_out") / wav.name)
    assert main(["--quiet", "evaluate", str(DEFAULT_STAGE1), "--data", str(tmp_path / "held_out"), "--baseline",
                 str(tmp_path / "train"), "--json", str(tmp_path / "rows.json"), "--plots", str(tmp_path / "plots")]) == 0
    table = capsys.readouterr().out
    assert "baseline" in table and "utterance" in table and "macro-F1" in table and "recall" in table
    rows = {row["method"]: row for row in json.loads((tmp_path / "rows.json").read_text())}
    assert rows["baseline"]["n"] == rows["utterance"]["n"] == 12
    for row in rows.values():
        assert 0.0 <= row["accuracy"] <= 1.0 and set(row["recall"]) <= set(EMOTIONS)
        assert row["unweighted_accuracy"] == pytest.approx(np.mean(list(row["recall"].values())))
        assert np.asarray(row["confusion"]).sum() == 12
    plots = sorted(path.name for path in (tmp_path / "plots").glob("*.png"))
    assert plots == ["confusion_1_stage1.png", "confusion_2_baseline.png"]
    assert all((tmp_path / "plots" / name).stat().st_size > 1000 for name in plots)
