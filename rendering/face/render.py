"""Offscreen rendering of a posed avatar with pyrender (EGL): fixed camera and lights.

`FaceRenderer` keeps one OpenGL context and scene for a whole video; each frame only the
face's vertex buffer changes. Use it as a context manager so the context is released.
pyrender is imported on first use, so a machine without OpenGL gets a RenderError that
says what to install rather than an ImportError at start-up. What this project changes
inside pyrender lives in pyrender_adapter.
"""
import numpy as np
import trimesh

from rendering.face.avatar import Avatar
from rendering.face.options import RenderOptions
from rendering.face.pyrender_adapter import RenderError, gl, open_offscreen, overwrite_vertices

__all__ = ["FaceRenderer", "RenderError"]


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    forward = eye - target
    forward /= np.linalg.norm(forward)
    right = np.cross([0.0, 1.0, 0.0], forward)
    right /= np.linalg.norm(right)
    up = np.cross(forward, right)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, forward, eye
    return pose


def _head_rotation(yaw: float, pitch: float, roll: float, pivot: np.ndarray) -> np.ndarray:
    rotation = trimesh.transformations.euler_matrix(pitch, yaw, roll, "sxyz")
    return trimesh.transformations.translation_matrix(pivot) @ rotation @ trimesh.transformations.translation_matrix(-pivot)


class FaceRenderer:
    """Renders an avatar at `size` x `size` pixels, RGB uint8 frames."""

    def __init__(self, avatar: Avatar, size: int = RenderOptions.size, msaa: bool = RenderOptions.msaa):
        pyrender, _ = gl()
        self.avatar = avatar
        self.size = size
        self.msaa = msaa
        self.scene = pyrender.Scene(bg_color=(0.93, 0.94, 0.96, 1.0), ambient_light=(0.18, 0.18, 0.18))
        extent = avatar.size
        centre = avatar.centre - np.array([0.0, 0.12 * extent, 0.0])  # the face, not the skull
        eye = centre + np.array([0.0, 0.05 * extent, 2.45 * extent])
        self.scene.add(pyrender.PerspectiveCamera(yfov=np.radians(30.0), aspectRatio=1.0), pose=_look_at(eye, centre))
        key = pyrender.DirectionalLight(color=np.ones(3), intensity=2.3)
        fill = pyrender.DirectionalLight(color=np.ones(3), intensity=0.8)
        self.scene.add(key, pose=_look_at(centre + np.array([0.6, 0.8, 1.0]) * extent, centre))
        self.scene.add(fill, pose=_look_at(centre + np.array([-1.0, 0.2, 0.8]) * extent, centre))
        self._pivot = centre - np.array([0.0, 0.35 * extent, 0.2 * extent])  # about the neck
        self._nodes = []
        for part in avatar.parts:
            material = pyrender.MetallicRoughnessMaterial(
                baseColorFactor=(*part.colour, 1.0), metallicFactor=0.0, roughnessFactor=0.7, doubleSided=True)
            primitive = pyrender.Primitive(positions=part.vertices, normals=part.normals, indices=part.faces,
                                           material=material)
            node = self.scene.add(pyrender.Mesh([primitive]))
            self._nodes.append(node)
            if part is avatar.face:
                self._face_primitive = primitive
        self._offscreen = None

    def __enter__(self):
        self._offscreen = open_offscreen(self.size, self.msaa)
        return self

    def __exit__(self, *exc_info):
        if self._offscreen is not None:
            self._offscreen.delete()
            self._offscreen = None

    def render(self, weights: np.ndarray, head_pose: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
        """One frame: (52,) blendshape weights and (yaw, pitch, roll) radians -> (size, size, 3) uint8."""
        pyrender, _ = gl()
        vertices, normals = self.avatar.face.pose(weights)
        overwrite_vertices(self._offscreen, self._face_primitive, vertices, normals)
        transform = _head_rotation(*head_pose, self._pivot)
        for node in self._nodes:
            self.scene.set_pose(node, transform)
        colour, _ = self._offscreen.render(self.scene, flags=pyrender.RenderFlags.SKIP_CULL_FACES)
        return colour
