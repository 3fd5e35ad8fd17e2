"""Eyeballs that turn with ARKit's eyeLook* weights.

ARKit's eyeLook shapes move only the lids around the eye; the eyeball is a separate mesh
that a rig rotates. Weight 1 turns it by the range below (about what ARKit's face tracking
reports at its extremes: people rarely turn their eyes further without turning the head).
"""
import numpy as np

from rendering.face.arkit import INDEX
from rendering.face.landmarks import Eye

HORIZONTAL_RANGE = np.radians(30.0)
VERTICAL_RANGE = np.radians(22.0)


def gaze_angles(weights: np.ndarray, eye: Eye) -> tuple[float, float]:
    """(yaw toward +x, pitch up) in radians for (52,) weights."""
    def w(shape: str) -> float:
        return float(weights[INDEX[f"eyeLook{shape}{eye.side}"]])

    yaw = HORIZONTAL_RANGE * (w("Out") - w("In")) * eye.outward
    pitch = VERTICAL_RANGE * (w("Up") - w("Down"))
    return yaw, pitch


def gaze_rotation(weights: np.ndarray, eye: Eye) -> np.ndarray:
    """(3, 3) rotation turning the eye's forward (+z) to where it looks."""
    yaw, pitch = gaze_angles(weights, eye)
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    turn = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])  # +z toward +y
    return turn @ tilt
