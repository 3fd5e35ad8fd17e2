"""The avatar renderer: loading, animation, expression, video files, bad input."""
import json
import subprocess
import sys

import ffmpeg
import numpy as np
import pytest
import soundfile

from dser.emotions import EMOTIONS, one_hot
from dser.timeline import Timeline
from rendering.face.animation import animate
from rendering.face.arkit import ARKIT_BLENDSHAPES, INDEX
from rendering.face.avatar import AvatarError, load_avatar
from rendering.face.encode import EncodeError, encode_video
from rendering.face.options import RenderOptions
from rendering.face.render import FaceRenderer
from rendering.face.video import RenderInputError, render_pair, render_video

SMALL = RenderOptions(size=96)


@pytest.fixture(scope="module")
def speech(demo_corpus, tmp_path_factory):
    """About two seconds of espeak-ng speech, 16 kHz mono."""
    files = sorted(demo_corpus.crema_d.glob("*_NEU_XX.wav"))[:2]
    samples = np.concatenate([soundfile.read(str(f), dtype="float32")[0] for f in files])
    path = tmp_path_factory.mktemp("audio") / "speech.wav"
    soundfile.write(str(path), samples, 16000)
    return path


@pytest.fixture
def silence(tmp_path):
    path = tmp_path / "silence.wav"
    soundfile.write(str(path), np.zeros(16000, np.float32), 16000)
    return path


def constant(emotion: str) -> Timeline:
    return Timeline([0.0], [one_hot(emotion)])


def probe(path):
    streams = {s["codec_type"]: s for s in ffmpeg.probe(str(path))["streams"]}
    return streams["video"], streams["audio"]


def test_the_default_avatar_loads_with_52_arkit_targets_and_its_other_parts():
    avatar = load_avatar()
    assert avatar.face.deltas.shape == (52, avatar.face.vertices.size)
    moving = {name for name, row in zip(ARKIT_BLENDSHAPES, avatar.face.deltas) if np.abs(row).max() > 0}
    assert {"jawOpen", "mouthSmileLeft", "eyeBlinkRight", "browInnerUp", "noseSneerLeft"} <= moving
    assert len(moving) >= 50
    names = {part.name for part in avatar.parts}
    assert {"eyeLeft", "eyeRight", "teeth"} <= names
    assert load_avatar() is avatar  # decoded once per process


def test_a_missing_or_broken_avatar_fails_clearly(tmp_path):
    with pytest.raises(AvatarError, match="not found"):
        load_avatar(tmp_path / "nope.glb")
    (tmp_path / "bad.glb").write_bytes(b"not a glb at all")
    with pytest.raises(AvatarError, match="cannot read avatar"):
        load_avatar(tmp_path / "bad.glb")


def test_weights_stay_in_unit_range_for_any_mixture(speech):
    samples, rate = soundfile.read(str(speech), dtype="float32")
    rng = np.random.default_rng(0)
    timeline = Timeline(np.arange(8) * 0.3, rng.dirichlet(np.ones(6) * 0.3, size=8))
    animation = animate(samples, rate, timeline)
    assert animation.weights.shape == (int(np.ceil(len(samples) / rate * 25)), 52)
    assert animation.weights.min() >= 0 and animation.weights.max() <= 1
    # The lips never close past the jaw (that is what tears a mouth).
    assert np.all(animation.weights[:, INDEX["mouthClose"]] <= animation.weights[:, INDEX["jawOpen"]] + 1e-9)


def test_silence_keeps_the_jaw_closed_and_speech_opens_it(speech, silence):
    quiet = animate(soundfile.read(str(silence))[0], 16000, constant("neutral"))
    assert quiet.weights[:, INDEX["jawOpen"]].max() == 0 and quiet.mouth_source == "silence"
    samples, rate = soundfile.read(str(speech), dtype="float32")
    talking = animate(samples, rate, constant("neutral"))
    assert talking.weights[:, INDEX["jawOpen"]].max() > 0.2


def test_speech_is_lip_synced_from_recognised_phonemes_not_the_energy_fallback(speech):
    """The energy jaw only opens and closes; phonemes also round and spread the lips. If the
    recogniser broke (a changed `hama`, a missing model file), the fallback would take over
    silently: this test fails instead."""
    samples, rate = soundfile.read(str(speech), dtype="float32")
    talking = animate(samples, rate, constant("neutral"))
    assert talking.mouth_source == "phonemes"
    assert talking.weights[:, [INDEX["mouthFunnel"], INDEX["mouthPucker"]]].max() > 0.1


def _region(avatar, shape: str, n: int = 40) -> np.ndarray:
    """The vertices a blendshape moves most: mouth corners for mouthSmile, brows for browInnerUp."""
    movement = np.linalg.norm(avatar.face.deltas[INDEX[shape]].reshape(-1, 3), axis=1)
    return np.argsort(movement)[-n:]


def test_joy_and_sadness_move_mouth_corners_and_brows_apart(speech):
    samples, rate = soundfile.read(str(speech), dtype="float32")
    avatar = load_avatar()
    joy = animate(samples, rate, constant("joy"), seed=3)
    sad = animate(samples, rate, constant("sadness"), seed=3)
    frame = joy.n_frames // 2
    joy_vertices, _ = avatar.face.pose(joy.weights[frame])
    sad_vertices, _ = avatar.face.pose(sad.weights[frame])
    corners, brows = _region(avatar, "mouthSmileLeft"), _region(avatar, "browInnerUp")
    # Joy pulls the mouth corners up and out; sadness raises the inner brows.
    assert joy_vertices[corners, 1].mean() - sad_vertices[corners, 1].mean() > 0.01 * avatar.size
    assert sad_vertices[brows, 1].mean() - joy_vertices[brows, 1].mean() > 0.005 * avatar.size
    # Same seed: the idle layer (blinks, sway) is identical, only emotion differs.
    np.testing.assert_array_equal(joy.head, sad.head)
    with FaceRenderer(avatar, 128) as renderer:
        joy_image = renderer.render(joy.weights[frame]).astype(int)
        sad_image = renderer.render(sad.weights[frame]).astype(int)
    difference = np.abs(joy_image - sad_image).sum(axis=2)
    assert (difference > 30).sum() > 100  # visibly different pixels


def test_a_video_probes_as_h264_and_aac_with_matching_durations(speech, tmp_path):
    target = tmp_path / "out.mp4"
    timeline = Timeline([0.0, 1.0], [one_hot("anger"), one_hot("joy")])
    animation = render_video(speech, timeline, target, SMALL)
    video, audio = probe(target)
    duration = soundfile.info(str(speech)).duration
    assert (video["codec_name"], video["pix_fmt"], video["width"], video["height"]) == ("h264", "yuv420p", 96, 96)
    assert audio["codec_name"] == "aac"
    assert int(video["nb_frames"]) == animation.n_frames == int(np.ceil(duration * 25))
    assert float(video["duration"]) == pytest.approx(animation.n_frames / 25, abs=1e-3)
    assert float(audio["duration"]) == pytest.approx(float(video["duration"]), abs=0.03)
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]  # no temporary files left


def test_a_pair_is_side_by_side_and_twice_as_wide(speech, tmp_path):
    target = tmp_path / "pair.mp4"
    render_pair(speech, constant("joy"), constant("anger"), target, SMALL)
    video, audio = probe(target)
    assert (video["width"], video["height"]) == (192, 96)
    assert audio["codec_name"] == "aac"
    assert [p.name for p in tmp_path.iterdir()] == ["pair.mp4"]


def test_bad_inputs_fail_clearly_and_leave_no_file(speech, tmp_path):
    target = tmp_path / "out.mp4"
    tiny = tmp_path / "tiny.wav"
    soundfile.write(str(tiny), np.zeros(300, np.float32), 16000)  # 19 ms, under one 40 ms frame
    with pytest.raises(RenderInputError, match="shorter than one video frame"):
        render_video(tiny, constant("joy"), target, SMALL)
    with pytest.raises(RenderInputError, match="audio file not found"):
        render_video(tmp_path / "missing.wav", constant("joy"), target, SMALL)
    (tmp_path / "noise.wav").write_bytes(b"RIFF....WAVE")
    with pytest.raises(RenderInputError, match="cannot read audio"):
        render_video(tmp_path / "noise.wav", constant("joy"), target, SMALL)
    with pytest.raises(AvatarError):
        render_video(speech, constant("joy"), target, RenderOptions(size=96, avatar=tmp_path / "none.glb"))
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noise.wav", "tiny.wav"]


def test_an_encoder_failure_midway_leaves_no_file(speech, tmp_path):
    target = tmp_path / "out.mp4"

    def frames():
        yield np.zeros((16, 16, 3), np.uint8)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        encode_video(frames(), 10, (16, 16), 25.0, speech, target)
    with pytest.raises(EncodeError, match="expected \\(16, 16, 3\\)"):
        encode_video(iter([np.zeros((8, 8, 3), np.uint8)]), 1, (16, 16), 25.0, speech, target)
    assert list(tmp_path.iterdir()) == []


def run_cli(*args, **env):
    import os

    return subprocess.run([sys.executable, "-m", "rendering", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **env})


@pytest.mark.parametrize("values, message", [
    ([[float("nan"), 0, 0, 0, 1, 0]], "NaN"),
    ([[0.7, 0, 0, 0, 0.7, 0]], "sum to 1"),
])
def test_the_cli_rejects_a_bad_timeline(speech, tmp_path, values, message):
    (tmp_path / "t.json").write_text(json.dumps({"times": [0.0], "values": values}))
    result = run_cli("render", speech, tmp_path / "t.json", tmp_path / "out.mp4", "--size", 64)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.mp4").exists()


def test_the_cli_reports_an_opengl_failure_cleanly(speech, tmp_path):
    Timeline([0.0], [one_hot("joy")]).save(tmp_path / "t.json")
    result = run_cli("render", speech, tmp_path / "t.json", tmp_path / "out.mp4", PYOPENGL_PLATFORM="osmesa")
    assert result.returncode == 1
    assert "no usable OpenGL" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]


def test_the_cli_renders_a_pair_and_stills(speech, tmp_path):
    Timeline([0.0], [one_hot("joy")]).save(tmp_path / "a.json")
    Timeline([0.0], [one_hot("sadness")]).save(tmp_path / "b.json")
    result = run_cli("pair", speech, tmp_path / "a.json", tmp_path / "b.json", tmp_path / "pair.mp4",
                     "--size", 64, "--still", tmp_path / "stills")
    assert result.returncode == 0, result.stderr
    assert probe(tmp_path / "pair.mp4")[0]["width"] == 128
    assert sorted(p.stem for p in (tmp_path / "stills").glob("*.png")) == sorted(EMOTIONS)
    assert "usage" in run_cli("--help").stdout
