"""What an annotator sees of the face: painted brows, lips and eyeballs, gaze, and emotions
that differ where a reader looks (eyes, brows, mouth)."""
import itertools

import numpy as np
import pytest

from dser.emotions import EMOTIONS
from rendering.face.arkit import weights_from
from rendering.face.avatar import load_avatar
from rendering.face.expressions import EXPRESSIONS
from rendering.face.gaze import gaze_rotation
from rendering.face.paint import LIP, SKIN, position_map
from rendering.face.render import FaceRenderer

SIZE = 256
NEUTRAL = np.zeros(52)
# Twice the smallest pairwise difference measured before eyes, brows and lips were painted
# (benchmarks/avatar_readability.py: neutral/sadness 4.8 at commit 50e5b36).
READABLE = 9.6


@pytest.fixture(scope="module")
def renderer():
    with FaceRenderer(load_avatar(), SIZE) as face:
        face.masks = face.region_masks()
        yield face


def grey(frame: np.ndarray) -> np.ndarray:
    return frame.astype(float) @ [0.299, 0.587, 0.114]


def change(renderer, shapes: dict[str, float], region: str) -> float:
    """Mean grey-level change inside `region` when `shapes` are applied to the neutral face."""
    before, after = grey(renderer.render(NEUTRAL)), grey(renderer.render(weights_from(shapes)))
    return float(np.abs(before - after)[renderer.masks[region]].mean())


def dark_centroid_x(frame: np.ndarray, mask: np.ndarray) -> float:
    """Mean column of the darkest pixels (iris and pupil) inside `mask`."""
    values = np.where(mask, grey(frame), np.inf)
    rows, cols = np.nonzero(values < np.percentile(values[mask], 8))
    return float(cols.mean())


def test_landmarks_are_found_from_the_heads_own_shapes():
    marks = load_avatar().landmarks
    left = next(eye for eye in marks.eyes if eye.side == "Left")
    right = next(eye for eye in marks.eyes if eye.side == "Right")
    # ARKit's Left is the side eyeBlinkLeft closes and mouthSmileLeft lifts, whatever the meshes are called.
    assert left.centre[0] * marks.mouth_corners[0, 0] > 0 and right.centre[0] * marks.mouth_corners[1, 0] > 0
    assert left.centre[1] > marks.mouth_centre[1] + 2 * marks.mouth_half_width  # eyes well above the mouth


def test_the_gaze_turns_each_eye_toward_where_it_looks():
    for eye in load_avatar().landmarks.eyes:
        outward = gaze_rotation(weights_from({f"eyeLookOut{eye.side}": 1.0}), eye) @ [0, 0, 1]
        inward = gaze_rotation(weights_from({f"eyeLookIn{eye.side}": 1.0}), eye) @ [0, 0, 1]
        up = gaze_rotation(weights_from({f"eyeLookUp{eye.side}": 1.0}), eye) @ [0, 0, 1]
        assert outward[0] * eye.outward > 0.3 and inward[0] * eye.outward < -0.3 and up[1] > 0.3
        np.testing.assert_allclose(gaze_rotation(NEUTRAL, eye), np.eye(3))


def test_the_position_map_interpolates_inside_triangles_and_fills_the_rest():
    uv = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    vertices = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 4.0, 1.0]])
    positions = position_map(uv, vertices, np.array([[0, 1, 2]]), 8)
    # Texel (row 1, column 2) has its centre at uv (2.5/8, 1.5/8): positions are linear in uv.
    np.testing.assert_allclose(positions[1, 2], [4 * 2.5 / 8, 4 * 1.5 / 8, 1.5 / 8])
    # The far corner lies outside the triangle: it takes its nearest covered texel's position.
    assert positions[7, 7][0] + positions[7, 7][1] == pytest.approx(4 * 7 / 8, abs=0.6)


def test_lips_are_lip_coloured_and_brows_darker_than_skin(renderer):
    avatar = load_avatar()
    head = avatar.face.texture.reshape(-1, 3) / 255
    lip_share = np.mean(np.linalg.norm(head - LIP, axis=1) < 0.05)
    dark_share = np.mean(head.mean(axis=1) < SKIN.mean() / 3)  # brows and the inside of the mouth
    assert lip_share > 0.002 and dark_share > 0.002
    frame = renderer.render(NEUTRAL).astype(float)
    mouth, brows = renderer.masks["mouth"], renderer.masks["brows"]
    redness = frame[..., 0] - frame[..., 1]
    assert redness[mouth].max() > redness[brows].max() + 40  # red lips, nothing red up there
    assert grey(frame)[brows].min() < grey(frame)[mouth].min()


def test_eyes_move_with_eye_look_and_only_the_eyes(renderer):
    assert change(renderer, {"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0}, "eyes") > 8
    assert change(renderer, {"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0}, "mouth") < 0.5
    # Both eyes look toward the avatar's left (+x, the viewer's right): the irises shift that way.
    eyes = renderer.masks["eyes"]
    straight = dark_centroid_x(renderer.render(NEUTRAL), eyes)
    looking = dark_centroid_x(renderer.render(weights_from({"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0})), eyes)
    assert looking > straight + 2


def test_a_blink_covers_the_irises(renderer):
    eyes = renderer.masks["eyes"]
    open_eyes, closed = grey(renderer.render(NEUTRAL)), grey(renderer.render(weights_from({"eyeBlink*": 1.0})))
    assert (open_eyes[eyes] < 60).sum() > 40 and (closed[eyes] < 60).sum() < 5


def test_wide_eyes_show_more_white_and_squinted_ones_less(renderer):
    eyes = renderer.masks["eyes"]

    def white(shapes: dict[str, float]) -> int:  # sclera: the brightest, least coloured pixels
        frame = renderer.render(weights_from(shapes)).astype(int)
        return int(((frame.min(axis=2) > 150) & (np.ptp(frame, axis=2) < 25))[eyes].sum())

    neutral = white({})
    assert white({"eyeWide*": 1.0}) > neutral * 1.3 and white({"eyeSquint*": 1.0}) < neutral * 0.8


def test_brows_move_with_brow_down_and_the_mouth_does_not(renderer):
    assert change(renderer, {"browDown*": 1.0}, "brows") > 10
    assert change(renderer, {"browInnerUp": 1.0}, "brows") > 10
    assert change(renderer, {"browDown*": 1.0}, "mouth") < 0.5


def test_every_pair_of_emotions_differs_visibly_in_the_face(renderer):
    """The readability target: the benchmark's measure on still expressions (no idle sway)."""
    faces = {emotion: grey(renderer.render(row)) for emotion, row in zip(EMOTIONS, EXPRESSIONS)}
    for a, b in itertools.combinations(EMOTIONS, 2):
        difference = np.abs(faces[a] - faces[b])
        assert difference[renderer.masks["face"]].mean() >= READABLE, (a, b)
        if {a, b} & {"anger", "fear", "sadness"}:
            assert difference[renderer.masks["eyes"]].mean() > 5, (a, b, "eyes")
            assert difference[renderer.masks["brows"]].mean() > 5, (a, b, "brows")
