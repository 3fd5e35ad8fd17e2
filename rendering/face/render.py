"""Offscreen rendering of a posed avatar with pyrender (EGL): fixed camera and lights.

`FaceRenderer` keeps one OpenGL context and scene for a whole video; each frame only the
moving parts' vertex buffers change (the face's shape, the eyeballs' turn). Use it as a
context manager so the context is released.
pyrender is imported on first use, so a machine without OpenGL gets a RenderError that
says what to install rather than an ImportError at start-up. What this project changes
inside pyrender lives in pyrender_adapter.
"""
import numpy as np
import trimesh

from rendering.face.avatar import Avatar, Part
from rendering.face.landmarks import face_regions
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


def _primitive(pyrender, part: Part):
    """The part as a pyrender primitive: its colour map where it has one, else its flat colour."""
    from pyrender.constants import GLTF

    texture = None
    if part.texture is not None:
        # pyrender uploads images bottom row first (OpenGL's t runs upward); our maps are
        # painted with row = v, as glTF's UVs run, so they go in upside down.
        texture = pyrender.Texture(source=np.ascontiguousarray(part.texture[::-1]), source_channels="RGB",
                                   sampler=pyrender.Sampler(magFilter=GLTF.LINEAR, minFilter=GLTF.LINEAR_MIPMAP_LINEAR))
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(*part.colour, 1.0), baseColorTexture=texture,
                                                  metallicFactor=0.0, roughnessFactor=0.7, doubleSided=True)
    return pyrender.Primitive(positions=part.vertices, normals=part.normals, indices=part.faces,
                              texcoord_0=None if texture is None else part.texcoords, material=material)


class FaceRenderer:
    """Renders an avatar at `size` x `size` pixels, RGB uint8 frames."""

    def __init__(self, avatar: Avatar, size: int = RenderOptions.size, msaa: bool = RenderOptions.msaa):
        pyrender, _ = gl()
        self.avatar = avatar
        self.size = size
        self.msaa = msaa
        self.scene = pyrender.Scene(bg_color=(0.93, 0.94, 0.96, 1.0), ambient_light=(0.12, 0.12, 0.12))
        extent = avatar.size
        centre = avatar.centre - np.array([0.0, 0.15 * extent, 0.0])  # the face, not the skull
        eye = centre + np.array([0.0, 0.05 * extent, 2.0 * extent])
        self._camera = pyrender.PerspectiveCamera(yfov=np.radians(30.0), aspectRatio=1.0)
        self._camera_pose = _look_at(eye, centre)
        self.scene.add(self._camera, pose=self._camera_pose)
        # Key high and to one side so brows and cheeks cast relief, fill from the other side,
        # rim from behind-above to separate the head from the background.
        for intensity, direction in ((2.0, (0.5, 1.2, 0.9)), (0.6, (-1.0, 0.1, 0.8)), (0.9, (-0.3, 0.9, -1.0))):
            light = pyrender.DirectionalLight(color=np.ones(3), intensity=intensity)
            self.scene.add(light, pose=_look_at(centre + np.array(direction) * extent, centre))
        self._pivot = centre - np.array([0.0, 0.35 * extent, 0.2 * extent])  # about the neck
        self._nodes, self._moving = [], []
        for part in avatar.parts:
            primitive = _primitive(pyrender, part)
            self._nodes.append(self.scene.add(pyrender.Mesh([primitive])))
            if part.moves:
                self._moving.append((part, primitive))
        self._offscreen = None

    def __enter__(self):
        self._offscreen = open_offscreen(self.size, self.msaa)
        return self

    def __exit__(self, *exc_info):
        if self._offscreen is not None:
            self._offscreen.delete()
            self._offscreen = None

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) world points of the unrotated head -> (N, 2) pixel (column, row) positions."""
        homogeneous = np.hstack([points, np.ones((len(points), 1))])
        clip = (self._camera.get_projection_matrix(self.size, self.size)
                @ np.linalg.inv(self._camera_pose) @ homogeneous.T).T
        ndc = clip[:, :2] / clip[:, 3:]
        return np.stack([(ndc[:, 0] + 1) / 2 * self.size, (1 - ndc[:, 1]) / 2 * self.size], axis=1)

    def region_masks(self) -> dict[str, np.ndarray]:
        """(size, size) boolean masks of the avatar's face regions (landmarks.face_regions),
        for the unrotated head."""
        masks = {}
        for name, boxes in face_regions(self.avatar.landmarks).items():
            mask = np.zeros((self.size, self.size), bool)
            for low, high in boxes:
                (left, bottom), (right, top) = self.project(np.array([low, high]))
                mask[int(top):int(np.ceil(bottom)), int(left):int(np.ceil(right))] = True
            masks[name] = mask
        return masks

    def render(self, weights: np.ndarray, head_pose: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
        """One frame: (52,) blendshape weights and (yaw, pitch, roll) radians -> (size, size, 3) uint8."""
        pyrender, _ = gl()
        for part, primitive in self._moving:
            overwrite_vertices(self._offscreen, primitive, *part.pose(weights))
        transform = _head_rotation(*head_pose, self._pivot)
        for node in self._nodes:
            self.scene.set_pose(node, transform)
        colour, _ = self._offscreen.render(self.scene, flags=pyrender.RenderFlags.SKIP_CULL_FACES)
        return colour
