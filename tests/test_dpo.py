"""DPO: the loss, one gradient step, bad input, and a tiny run end to end through the CLI."""
import json
import math

import numpy as np
import pytest
import torch

from corpus.sources.media import extract_wav
from dser.emotions import EMOTIONS, one_hot
from dser.timeline import Timeline
from emotion.__main__ import main
from emotion.checkpoint import Metadata, load_backbone, load_checkpoint
from emotion.defaults import DEFAULT_STAGE1, DEFAULT_STAGE2
from emotion.dpo import (
    DPOConfig,
    Pair,
    dpo_loss,
    likelihood_for,
    load_triplets,
    pair_logps,
    pair_terms,
    train_dpo,
)
from emotion.model import DSERModel


def test_the_loss_equals_a_hand_computed_value():
    # rewards: chosen 0.5 * (-1 - -1.5) = 0.25, rejected 0.5 * (-2 - -1) = -0.5; margin 0.75
    losses, chosen, rejected = dpo_loss(*(torch.tensor([v]) for v in (-1.0, -2.0, -1.5, -1.0)), beta=0.5)
    assert losses.item() == pytest.approx(math.log(1 + math.exp(-0.75)))
    assert (chosen.item(), rejected.item()) == (pytest.approx(0.25), pytest.approx(-0.5))


def test_label_smoothing_takes_each_label_as_flipped_with_its_probability():
    # margin 0.75 as above; ε 0.1: -0.9 log σ(0.75) - 0.1 log σ(-0.75)
    losses, _, _ = dpo_loss(*(torch.tensor([v]) for v in (-1.0, -2.0, -1.5, -1.0)), beta=0.5, label_smoothing=0.1)
    assert losses.item() == pytest.approx(0.9 * math.log(1 + math.exp(-0.75)) + 0.1 * math.log(1 + math.exp(0.75)))


def test_the_loss_is_ln_2_when_the_policy_is_the_reference():
    logps = torch.randn(2, 50)
    losses, _, _ = dpo_loss(logps[0], logps[1], logps[0], logps[1], beta=0.5)
    assert torch.allclose(losses, torch.full((50,), math.log(2)))


class FixedAlphas:
    """Stands in for a sequence model: the same per-frame alphas for any audio, 2 frames a second."""
    frame_rate = 2.0

    def __init__(self, peaks: list[tuple[str, float]]):
        self.alpha = torch.ones(len(peaks), len(EMOTIONS))
        for frame, (emotion, peak) in enumerate(peaks):
            self.alpha[frame, EMOTIONS.index(emotion)] = peak

    def clip_alpha(self, samples):
        return self.alpha


def test_a_segment_triplet_gives_one_term_per_span_on_its_frames_mean_ratio():
    """Four frames (centres 0.25, 0.75, 1.25, 1.75 s); the span [0.5, 1.5) holds the middle two.
    The reference is uniform (every mean log-likelihood ln 1/6); the policy's mean puts 0.5 and
    3/8 on joy there (sadness 0.1 and 1/8). Chosen joy, rejected sadness, ce likelihood, β 0.5:
    margin = 0.5 · ½ ln(0.5 · 0.375 / (0.1 · 0.125)) = ¼ ln 15, loss = ln(1 + 15^-¼). The frames
    outside the span (a strong sadness) change nothing."""
    policy = FixedAlphas([("sadness", 50.0), ("joy", 5.0), ("joy", 3.0), ("sadness", 50.0)])
    pair = Pair("c", np.zeros(32000, np.float32), Timeline([0.0], [one_hot("joy")]),
                Timeline([0.0], [one_hot("sadness")]), spans=((0.5, 1.5),))
    reference = (torch.full((4,), math.log(1 / 6)),) * 2
    config = DPOConfig(beta=0.5, likelihood="ce")
    loss, terms = pair_terms(policy, pair, reference, config)
    assert loss.item() == pytest.approx(math.log(1 + 15 ** -0.25))
    assert terms["rewards/chosen"] - terms["rewards/rejected"] == pytest.approx(0.25 * math.log(15))
    whole_clip, _ = pair_terms(policy, Pair("c", pair.audio, pair.chosen, pair.rejected), reference, config)
    assert whole_clip.item() > loss.item()  # over every frame, the sadness at both ends counts against joy
    two_spans, _ = pair_terms(policy, Pair("c", pair.audio, pair.chosen, pair.rejected, ((0.5, 1.5), (1.5, 2.0))),
                              reference, config)
    # the second span's term: frame 3 alone, margin 0.5 · ln((1/55) / (50/55)) = -0.5 ln 50
    assert two_spans.item() == pytest.approx((math.log(1 + 15 ** -0.25) + math.log(1 + 50 ** 0.5)) / 2)


@pytest.mark.parametrize("likelihood", ["dirichlet", "ce"])
def test_one_step_raises_the_chosen_log_likelihood_relative_to_the_rejected(likelihood):
    torch.manual_seed(0)
    policy = DSERModel(load_backbone("tiny", freeze_feature_encoder=False), "sequence").eval()
    reference = DSERModel(load_backbone("tiny"), "sequence").eval()
    reference.load_state_dict(policy.state_dict())
    pair = Pair("c", np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32),
                Timeline([0.0], [one_hot("joy")]), Timeline([0.0], [one_hot("sadness")]))
    with torch.no_grad():
        ref = pair_logps(reference, pair, likelihood)
    chosen, rejected = pair_logps(policy, pair, likelihood)
    losses, _, _ = dpo_loss(chosen, rejected, *ref, beta=0.5)
    assert losses.mean().item() == pytest.approx(math.log(2), abs=1e-5)
    torch.optim.SGD(policy.parameters(), lr=1e-2).zero_grad()
    losses.mean().backward()
    with torch.no_grad():
        for parameter in policy.parameters():
            if parameter.grad is not None:
                parameter -= 1e-2 * parameter.grad
        after_chosen, after_rejected = pair_logps(policy, pair, likelihood)
    assert (after_chosen - after_rejected).mean() > (chosen - rejected).mean().detach()


def test_the_likelihood_is_the_one_the_init_model_was_trained_to_maximise():
    def trained_with(**config):
        return Metadata(stage=2, head="sequence", provenance={"config": config})

    assert likelihood_for(DPOConfig(), trained_with(loss="ce")) == "ce"  # stage 2, cross-entropy
    assert likelihood_for(DPOConfig(), trained_with(loss="dirichlet")) == "dirichlet"
    assert likelihood_for(DPOConfig(), trained_with(likelihood="ce", beta=0.5)) == "ce"  # a DPO checkpoint
    assert likelihood_for(DPOConfig(), trained_with()) == "dirichlet"  # unknown: the paper's density
    assert likelihood_for(DPOConfig(likelihood="dirichlet"), trained_with(loss="ce")) == "dirichlet"  # named
    with pytest.raises(ValueError, match="likelihood must be one of auto, dirichlet, ce, not 'mse'"):
        likelihood_for(DPOConfig(likelihood="mse"), trained_with(loss="ce"))


@pytest.fixture(scope="module")
def triplets(demo_corpus, tmp_path_factory):
    """Triplets over the demo dialogues: the true timeline chosen over a wrong one."""
    root = tmp_path_factory.mktemp("export")
    truth = json.loads(demo_corpus.timelines.read_text())
    rows = []
    for name, entry in sorted(truth.items()):
        extract_wav(demo_corpus.meld_clips / f"{name}.mp4", root / "audio" / f"{name}.wav")
        wrong = {"times": entry["times"], "values": [one_hot("neutral").tolist()] * len(entry["times"])}
        rows.append({"clip": name, "audio": f"audio/{name}.wav", "chosen": {"times": entry["times"],
                     "values": entry["values"]}, "rejected": wrong})
    (root / "triplets.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root / "triplets.jsonl"


def test_a_tiny_run_writes_a_checkpoint_that_evaluate_and_predict_accept(triplets, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--quiet", "train-dpo", "--triplets", str(triplets), "--init", str(DEFAULT_STAGE2), "--out",
                 str(out), "--epochs", "2", "--batch-size", "2", "--lr", "1e-4", "--val-fraction", "0.25"]) == 0
    model, metadata = load_checkpoint(out)
    assert (metadata.stage, model.head_kind, metadata.provenance["beta"]) == (3, "sequence", 0.5)
    assert len(metadata.provenance["triplets_sha256"]) == 64 and metadata.provenance["init"] == str(DEFAULT_STAGE2)
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines()]
    first = log[0]
    assert first["kind"] == "step" and first["loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert {"rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "logps/chosen",
            "logps/rejected", "grad_norm"} <= set(first)
    epochs = [entry for entry in log if entry["kind"] == "epoch"]
    assert len(epochs) == 2 and "val/rewards/accuracies" in epochs[-1]
    assert (out / "training_curves.png").stat().st_size > 0

    reference = tmp_path / "reference.jsonl"
    reference.write_text("".join(json.dumps({"audio": str(triplets.parent / row["audio"]), "timeline": row["chosen"]})
                                 + "\n" for row in map(json.loads, triplets.read_text().splitlines())))
    assert main(["--quiet", "evaluate", str(DEFAULT_STAGE2), str(out), "--reference", str(reference)]) == 0
    wav = sorted((triplets.parent / "audio").glob("*.wav"))[0]
    assert main(["--quiet", "predict", str(wav), "--checkpoint", str(out)]) == 0


def test_bad_input_fails_clearly_before_training(triplets, tmp_path, capsys):
    lines = triplets.read_text().splitlines()
    row = json.loads(lines[0])
    cases = {
        "empty": ("", "has no triplets"),
        "not json": ("{oops\n", "line 1: not JSON"),
        "missing key": (json.dumps({"audio": row["audio"], "chosen": row["chosen"]}) + "\n", "needs 'audio', 'chosen', 'rejected'"),
        "missing audio": (json.dumps({**row, "audio": "audio/gone.wav"}) + "\n", "audio file not found"),
        "short timeline": (json.dumps({**row, "chosen": {"times": [0.0], "values": [one_hot("joy").tolist()]}}) + "\n",
                           "the chosen timeline ends at 0.00 s"),
    }
    model = load_checkpoint(DEFAULT_STAGE2)[0]  # 50 frames a second: a frame's centre every 20 ms
    for spans, message in (([[0.5, 0.5]], r"the span \[0.5, 0.5\] s is not a stretch of the clip"),
                           ([[-1, 1]], r"the span \[-1, 1\] s is not"), ([[0, 99]], r"the span \[0, 99\] s is not"),
                           ([[1]], r"a span must be \[start_s, end_s\], not \[1\]"), (["ab"], "a span must be"),
                           ([[0.501, 0.509]], r"the span \[0.501, 0.509\] s holds none of the model's frames \(50 per second\)")):
        cases[f"spans {spans}"] = (json.dumps({**row, "spans": spans}) + "\n", f"triplet 1: {message}")
    for name, (text, message) in cases.items():
        bad = triplets.parent / "bad.jsonl"
        bad.write_text(text)
        with pytest.raises(ValueError, match=message):
            load_triplets(bad, model)
    assert main(["train-dpo", "--triplets", str(triplets), "--init", str(DEFAULT_STAGE1), "--out", str(tmp_path / "x")]) == 1
    assert "DPO needs a sequence model" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_stopping_keeps_the_last_finished_epoch(triplets, tmp_path):
    calls = []
    result = train_dpo(triplets, DEFAULT_STAGE2, tmp_path / "run", DPOConfig(epochs=3, batch_size=4, val_fraction=0),
                       progress=False, on_record=calls.append,
                       should_stop=lambda: any(entry["kind"] == "epoch" for entry in calls))
    assert result["stopped"] and result["epochs"] == 1
    assert load_checkpoint(tmp_path / "run")[1].metrics["epoch"] == 1


def test_a_run_on_segment_triplets_trains_on_their_spans(triplets, tmp_path):
    """Segment triplets (each about its clip's first second) train like whole-clip ones: the
    first step's loss is ln 2 (policy = reference), and a checkpoint is written."""
    rows = [{**json.loads(line), "spans": [[0.0, 1.0]]} for line in triplets.read_text().splitlines()]
    segments = triplets.parent / "segments.jsonl"
    segments.write_text("".join(json.dumps(row) + "\n" for row in rows))
    train_dpo(segments, DEFAULT_STAGE2, tmp_path / "run", DPOConfig(epochs=1, batch_size=4, val_fraction=0),
              progress=False)
    log = [json.loads(line) for line in (tmp_path / "run" / "training_log.jsonl").read_text().splitlines()]
    assert log[0]["loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert load_checkpoint(tmp_path / "run")[1].stage == 3


def test_a_reference_checkpoint_other_than_the_init_is_what_the_policy_is_compared_with(triplets, tmp_path):
    """Iterative DPO: the init is a first round's model, the reference the stage-2 model it came
    from. The first step's loss is then the hand-computed mean over pairs of each pair's mean
    over frames of -log σ(β [(c - c_ref) - (r - r_ref)]) with the two models' log-likelihoods,
    not ln 2; and the run records the reference's hash. A stage-1 reference, or label smoothing
    of 0.5 or more, is refused before training."""
    first_round = tmp_path / "round1"
    train_dpo(triplets, DEFAULT_STAGE2, first_round, DPOConfig(epochs=1, batch_size=4, val_fraction=0, lr=1e-3),
              progress=False)
    config = DPOConfig(epochs=1, batch_size=100, val_fraction=0, reference=str(DEFAULT_STAGE2))
    train_dpo(triplets, first_round, tmp_path / "round2", config, progress=False)
    policy, reference = load_checkpoint(first_round)[0].eval(), load_checkpoint(DEFAULT_STAGE2)[0].eval()
    provenance = load_checkpoint(tmp_path / "round2")[1].provenance
    likelihood, expected = provenance["config"]["likelihood"], []  # the init's (the stage-2 model's loss)
    with torch.no_grad():
        for pair in load_triplets(triplets):
            (chosen, rejected), (ref_chosen, ref_rejected) = (pair_logps(m, pair, likelihood) for m in (policy, reference))
            margin = 0.5 * ((chosen - ref_chosen) - (rejected - ref_rejected))
            expected.append(float(torch.log1p(torch.exp(-margin)).mean()))
    log = [json.loads(line) for line in (tmp_path / "round2" / "training_log.jsonl").read_text().splitlines()]
    assert log[0]["loss"] == pytest.approx(np.mean(expected), rel=1e-4) and abs(log[0]["loss"] - math.log(2)) > 1e-3
    assert provenance["config"]["reference"] == str(DEFAULT_STAGE2)
    assert provenance["reference_sha256"] == load_checkpoint(first_round)[1].provenance["init_sha256"]
    with pytest.raises(ValueError, match="DPO needs a sequence model"):
        train_dpo(triplets, first_round, tmp_path / "x", DPOConfig(reference=str(DEFAULT_STAGE1)), progress=False)
    with pytest.raises(ValueError, match="label smoothing must be at least 0 and below 0.5, not 0.5"):
        train_dpo(triplets, first_round, tmp_path / "y", DPOConfig(label_smoothing=0.5), progress=False)
