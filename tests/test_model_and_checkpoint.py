"""Model shapes and simplex properties; checkpoints round-trip bit for bit, offline."""
import json

import pytest
import torch
from transformers import Wav2Vec2Model

from dser.datasets import parse_name
from dser.timeline import Timeline, frame_times
from emotion.checkpoint import CheckpointError, Metadata, load_backbone, load_checkpoint, save_checkpoint
from emotion.data import split_by_speaker
from emotion.dirichlet import cross_entropy_loss, dirichlet_nll_loss
from emotion.model import DSERModel, MovingAverage, tiny_config
from emotion.stage1 import Stage1Config, keep_best, loss_fn
from emotion.stage2 import Stage2Config, _initial_model, sequence_loss

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("head", ["utterance", "sequence"])
def test_outputs_are_positive_concentrations_whose_means_lie_on_the_simplex(head):
    torch.manual_seed(0)
    model = DSERModel(load_backbone("tiny"), head).eval()
    audio = torch.randn(3, 32000) * 0.1
    output = model(audio, torch.tensor([32000, 20000, 8000]))
    expected = (3, 6) if head == "utterance" else (3, 100, 6)
    assert output.alpha.shape == expected
    assert (output.alpha > 0).all()
    torch.testing.assert_close(output.mean.sum(-1), torch.ones(expected[:-1]))
    if head == "sequence":
        assert output.mask.sum(1).tolist() == [100, 62, 25]
        assert model.frame_rate == 50.0


def test_moving_average_keeps_the_length_and_averages_five_frames():
    x = torch.arange(10.0).reshape(1, 10, 1)
    y = MovingAverage(5)(x)
    assert y.shape == x.shape
    assert y[0, 5, 0].item() == pytest.approx(5.0) and y[0, 0, 0].item() == pytest.approx(1.0)  # (0+1+2)/3


def test_checkpoints_round_trip_bit_identical(tmp_path):
    torch.manual_seed(1)
    model = DSERModel(load_backbone("tiny"), "sequence").eval()
    save_checkpoint(model, tmp_path / "ckpt", Metadata(stage=2, head="sequence", metrics={"val_mae": 0.1}))
    loaded, metadata = load_checkpoint(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["config.json", "dser.json", "model.safetensors"]
    assert (metadata.stage, metadata.head, metadata.metrics) == (2, "sequence", {"val_mae": 0.1})
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    audio = torch.randn(1, 16000)
    assert torch.equal(model(audio).alpha, loaded(audio).alpha)


def test_the_level_input_lets_the_model_hear_how_loud_the_voice_is():
    """wav2vec2's first layer normalises each channel over the clip: the same speech four times
    louder looks the same to the backbone. Only the level input tells them apart."""
    torch.manual_seed(0)
    speech = torch.randn(1, 16000) * 0.05
    for level_input in (False, True):
        model = DSERModel(load_backbone("tiny", level_input=level_input), "utterance").eval()
        torch.nn.init.normal_(model.head.weight, std=0.5)  # a trained head, not the near-flat start
        change = (model(speech).mean - model(speech * 4).mean).abs().max().item()
        assert (change > 1e-2) if level_input else (change < 1e-3), (level_input, change)


def test_head_options_travel_with_the_backbone_into_checkpoints_and_later_stages(tmp_path):
    model = DSERModel(load_backbone("tiny", level_input=True, stats_pooling=True), "utterance")
    assert model.head.in_features == 2 * (96 + 1)  # mean and std of 96 features + the level
    save_checkpoint(model, tmp_path / "s1", Metadata(stage=1, head="utterance"))
    loaded, _ = load_checkpoint(tmp_path / "s1")
    sequence = DSERModel(loaded.backbone, "sequence")
    assert (loaded.level_input, loaded.stats_pooling, sequence.head.in_features) == (True, True, 194)
    plain = DSERModel(load_backbone("tiny", level_input=False, stats_pooling=False), "utterance")
    assert plain.head.in_features == 96


def test_a_broken_checkpoint_fails_clearly(tmp_path):
    with pytest.raises(CheckpointError, match="not a DSER checkpoint"):
        load_checkpoint(tmp_path)
    model = DSERModel(load_backbone("tiny"), "utterance")
    save_checkpoint(model, tmp_path / "c", Metadata(stage=1, head="utterance"))
    (tmp_path / "c" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="no model.safetensors"):
        load_checkpoint(tmp_path / "c")
    meta = json.loads((tmp_path / "c" / "dser.json").read_text())
    (tmp_path / "c" / "dser.json").write_text(json.dumps({**meta, "emotions": ["happy", "sad"]}))
    with pytest.raises(CheckpointError, match="predicts"):
        load_checkpoint(tmp_path / "c")


def test_a_backbone_loads_from_a_local_directory_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    Wav2Vec2Model(tiny_config()).save_pretrained(tmp_path / "w2v")
    backbone = load_backbone(str(tmp_path / "w2v"))
    assert backbone.config.hidden_size == 96
    assert not any(p.requires_grad for p in backbone.feature_extractor.parameters())  # frozen by default


@pytest.mark.parametrize("name, emotion, speaker", [
    ("1001_DFA_ANG_XX.wav", "anger", "crema-d/1001"),
    ("1091_S03_HAP_HI.wav", "joy", "crema-d/1091"),
    ("03-01-05-01-01-01-12.wav", "anger", "ravdess/12"),
    ("03-01-01-01-02-02-03.wav", "neutral", "ravdess/03"),
    ("female1_angry_1a_1.wav", "anger", "jl/female1"),
    ("male2_sad_5b_2.wav", "sadness", "jl/male2"),
])
def test_corpus_names_map_onto_the_six_emotions(tmp_path, name, emotion, speaker):
    utterance = parse_name(tmp_path / name)
    assert (utterance.emotion, utterance.speaker) == (emotion, speaker)


@pytest.mark.parametrize("name", ["03-01-02-01-01-01-01.wav", "03-01-08-02-01-01-01.wav",
                                  "female1_excited_1a_1.wav", "male1_anxious_2a_1.wav", "notes.wav"])
def test_emotions_outside_the_six_and_unknown_names_are_dropped(tmp_path, name):
    assert parse_name(tmp_path / name) is None


@pytest.mark.parametrize("fraction, seed", [(0.2, 0), (0.2, 1), (0.5, 3), (0.01, 0)])
def test_validation_holds_out_whole_speakers_never_heard_in_training(tmp_path, fraction, seed):
    """Six CREMA-D actors and two RAVDESS actors whose numbers collide with nothing else: every
    speaker lands on one side only, at least one is held out, and the split is reproducible."""
    names = [f"{actor}_IEO_{code}_HI.wav" for actor in range(1001, 1007) for code in ("ANG", "SAD", "NEU")]
    names += [f"03-01-{code}-01-01-01-{actor:02d}.wav" for actor in (1, 2) for code in ("05", "04")]
    utterances = [parse_name(tmp_path / name) for name in names]
    train, validation = split_by_speaker(utterances, fraction, seed)
    assert {u.speaker for u in train}.isdisjoint({u.speaker for u in validation}) and validation
    assert sorted(map(str, (u.path for u in train + validation))) == sorted(str(tmp_path / name) for name in names)
    assert (train, validation) == split_by_speaker(utterances, fraction, seed)


def test_an_epoch_is_chosen_on_validation_only_when_it_holds_enough_voices():
    """One or two held-out voices are a coin toss: a voice unlike every training voice scores
    chance after the first epoch, and its "best" epoch was a barely trained model."""
    assert [keep_best(Stage1Config(), speakers) for speakers in (1, 2, 3, 10)] == [False, False, True, True]
    assert keep_best(Stage1Config(keep="best"), 1) and not keep_best(Stage1Config(keep="last"), 10)
    with pytest.raises(ValueError, match="keep must be"):
        keep_best(Stage1Config(keep="first"), 3)


def test_the_dirichlet_loss_can_add_the_cross_entropy_of_its_mean():
    """`mean_ce` w: the Dirichlet NLL plus w times the mean's cross-entropy; 0 leaves it alone,
    and the cross-entropy loss ignores it."""
    alpha, labels = torch.rand(8, 6) * 5 + 0.1, torch.arange(8) % 6
    nll, ce = dirichlet_nll_loss(alpha, labels, 0.05, 1.0), cross_entropy_loss(alpha, labels)
    torch.testing.assert_close(loss_fn("dirichlet", 0.05, 1.0, mean_ce=0.5)(alpha, labels), nll + 0.5 * ce)
    torch.testing.assert_close(loss_fn("dirichlet", 0.05, 1.0)(alpha, labels), nll)
    torch.testing.assert_close(loss_fn("ce", 0.05, 1.0, mean_ce=0.5)(alpha, labels), ce)


def test_stage_2_starts_from_stage_1s_backbone_and_head(tmp_path):
    """The sequence head is stage 1's head applied per frame, so stage 2 starts at its teacher."""
    stage1 = DSERModel(load_backbone("tiny"), "utterance")
    save_checkpoint(stage1, tmp_path / "s1", Metadata(stage=1, head="utterance"))
    stage2 = _initial_model(Stage2Config(init=str(tmp_path / "s1"), kernel=25))
    assert stage2.head_kind == "sequence" and stage2.smooth.pool.kernel_size == (25,)
    for name, value in stage1.state_dict().items():
        assert torch.equal(stage2.state_dict()[name], value), name


def test_stage_2s_hard_targets_take_stage_1s_dirichlet_loss_with_its_smoothing_and_beta():
    """Hard targets under the Dirichlet loss: each frame's top target emotion is its label,
    scored by stage 1's loss with the smoothing and beta-NLL weight the config names."""
    torch.manual_seed(3)
    model = DSERModel(load_backbone("tiny"), "sequence").eval()
    audio = torch.randn(1, 16000) * 0.1
    anger_then_joy = Timeline(times=[0.0, 0.5, 1.0], values=[[1, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 1, 0, 0]])
    config = Stage2Config(loss="dirichlet", hard_targets=True, smoothing=0.05, nll_beta=1.0)
    with torch.no_grad():
        loss = sequence_loss(model, audio, torch.tensor([16000]), [0.0], [anger_then_joy], config)
        output = model(audio, torch.tensor([16000]))
    labels = torch.from_numpy(anger_then_joy.sample(frame_times(50, model.frame_rate, centred=True)).argmax(-1))
    expected = dirichlet_nll_loss(output.alpha[0], labels, smoothing=0.05, beta=1.0)
    assert {0, 3} == set(labels.tolist())
    torch.testing.assert_close(loss, expected)
    assert not torch.isclose(loss, dirichlet_nll_loss(output.alpha[0], labels, smoothing=0.05))


def test_a_chunked_sequence_model_hears_each_stretch_with_the_context_it_was_trained_on():
    """With 1 s chunks, a 3.3 s clip goes through in half-overlapping chunks: the first half
    chunk's frames come from the first chunk alone, every frame gets an alpha, and a clip no
    longer than a chunk goes through whole."""
    torch.manual_seed(2)
    backbone = load_backbone("tiny")
    backbone.config.dser_sequence_chunk_s = 1.0
    model = DSERModel(backbone, "sequence").eval()
    clip = torch.randn(52800) * 0.1  # 3.3 s: 165 frames
    with torch.no_grad():
        alpha = model.clip_alpha(clip)
        first_chunk = model(clip[None, :16000]).alpha[0]
        short = torch.randn(12000) * 0.1
        assert torch.allclose(model.clip_alpha(short), model(short[None]).alpha[0])
    assert alpha.shape == (165, 6) and (alpha > 0).all()
    torch.testing.assert_close(alpha[:25], first_chunk[:25])
    assert not torch.allclose(alpha[30:50], first_chunk[30:50])  # blended with the second chunk
