"""Where the eyes, brows and mouth of an avatar are, found from its own geometry.

Painting (paint.py), gaze (the eyeballs turn about their centres) and the readability
benchmark's face regions all read these, so an avatar other than the default head gets
brows above its own eyes and lips around its own mouth. Found from:
  eyes   the separate eyeball meshes (centre and radius of each); which one is ARKit's
         Left is read from the face's eyeBlinkLeft shape, not from the mesh names (the
         Face Cap head names its eyes from the viewer's side);
  mouth  the corners: the neutral positions of the vertices mouthSmileLeft/Right move most.
"""
from dataclasses import dataclass

import numpy as np

from rendering.face.arkit import INDEX

MOVED_MOST = 8  # vertices averaged to place a corner or a side


@dataclass(frozen=True)
class Eye:
    side: str  # ARKit's "Left" or "Right"
    centre: np.ndarray  # (3,) world space
    radius: float

    @property
    def outward(self) -> float:
        """+1 where turning away from the nose is toward +x."""
        return 1.0 if self.centre[0] >= 0 else -1.0


@dataclass(frozen=True)
class Landmarks:
    eyes: tuple[Eye, ...]
    mouth_corners: np.ndarray  # (2, 3): ARKit's Left corner, then Right

    @property
    def mouth_centre(self) -> np.ndarray:
        return self.mouth_corners.mean(axis=0)

    @property
    def mouth_half_width(self) -> float:
        return float(abs(self.mouth_corners[0, 0] - self.mouth_corners[1, 0]) / 2)


def _moved_most(vertices: np.ndarray, deltas: np.ndarray, shape: str) -> np.ndarray:
    """Mean neutral position of the vertices that `shape` moves furthest."""
    distance = np.linalg.norm(deltas[INDEX[shape]].reshape(-1, 3), axis=1)
    return vertices[np.argsort(-distance)[:MOVED_MOST]].mean(axis=0)


def find_landmarks(face_vertices: np.ndarray, face_deltas: np.ndarray,
                   eyeballs: list[np.ndarray]) -> Landmarks:
    """`eyeballs`: the vertices of each eyeball mesh (none for a head without them)."""
    left_x = _moved_most(face_vertices, face_deltas, "eyeBlinkLeft")[0]
    eyes = []
    for vertices in eyeballs:
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        centre = (low + high) / 2
        side = "Left" if np.sign(centre[0]) == np.sign(left_x) else "Right"
        eyes.append(Eye(side, centre, float((high[0] - low[0]) / 2)))
    corners = np.stack([_moved_most(face_vertices, face_deltas, f"mouthSmile{side}") for side in ("Left", "Right")])
    return Landmarks(tuple(eyes), corners)


def face_regions(landmarks: Landmarks) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """World-space boxes (low corner, high corner) around the eyes, the brows and the mouth,
    and one "face" box around them all: where a reader looks for an expression."""
    boxes = {"eyes": [], "brows": [], "mouth": []}
    for eye in landmarks.eyes:
        c, r = eye.centre, eye.radius
        boxes["eyes"].append((c + [-1.4 * r, -0.9 * r, 0], c + [1.4 * r, 0.9 * r, 0]))
        boxes["brows"].append((c + [-1.6 * r, 0.9 * r, 0], c + [1.6 * r, 2.0 * r, 0]))
    m, w = landmarks.mouth_centre, landmarks.mouth_half_width
    boxes["mouth"].append((m + [-1.4 * w, -1.1 * w, 0], m + [1.4 * w, 0.7 * w, 0]))
    corners = np.array([corner for region in boxes.values() for box in region for corner in box])
    boxes["face"] = [(corners.min(axis=0), corners.max(axis=0))]
    return boxes
