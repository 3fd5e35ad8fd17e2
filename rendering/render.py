"""Offscreen rendering of a posed avatar with pyrender (EGL): fixed camera and lights.

`FaceRenderer` keeps one OpenGL context and scene for a whole video; each frame only the
face's vertex buffer changes. Use it as a context manager so the context is released.
pyrender is imported on first use, so a machine without OpenGL gets a RenderError that
says what to install rather than an ImportError at start-up.
"""
import functools
import os
from pathlib import Path

import numpy as np
import trimesh

from rendering.avatar import Avatar

SHADER_DIR = Path(__file__).resolve().parent / "shaders"


class RenderError(RuntimeError):
    pass


# pyrender always asks for a 4x multisampled framebuffer; asking for 0 samples turns MSAA
# off and about halves the cost of a frame on a software rasteriser.
_msaa_samples = 4


@functools.cache
def _gl():
    """Import pyrender and OpenGL once (EGL unless PYOPENGL_PLATFORM says otherwise)."""
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    try:
        import pyrender
        import pyrender.renderer
        from OpenGL import GL
    except (ImportError, OSError) as exc:
        raise RenderError(f"no usable OpenGL ({exc}); install libegl1 and libgl1-mesa-dri, "
                          "or set PYOPENGL_PLATFORM") from exc
    original = pyrender.renderer.glRenderbufferStorageMultisample

    def storage_with_configured_samples(target, _samples, internal_format, width, height):
        original(target, _msaa_samples, internal_format, width, height)

    pyrender.renderer.glRenderbufferStorageMultisample = storage_with_configured_samples
    return pyrender, GL


def _read_colour(renderer) -> np.ndarray:
    """pyrender's framebuffer read without the depth image it always computes:
    resolve, read RGB, flip to image rows."""
    _, GL = _gl()
    width, height = renderer._main_fb_dims
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb_ms)
    GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, renderer._main_fb)
    GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb)
    pixels = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    return np.flip(np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, 3), axis=0)


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

    def __init__(self, avatar: Avatar, size: int = 256, msaa: bool = False):
        pyrender, _ = _gl()
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
        global _msaa_samples
        pyrender, _ = _gl()
        _msaa_samples = 4 if self.msaa else 0
        try:
            self._offscreen = pyrender.OffscreenRenderer(self.size, self.size)
        except Exception as exc:  # EGL failures come as many exception types
            raise RenderError(f"cannot create an offscreen OpenGL context ({type(exc).__name__}: {exc}); "
                              "install libegl1 and libgl1-mesa-dri, or set PYOPENGL_PLATFORM") from exc
        from pyrender.shader_program import ShaderProgramCache

        inner = self._offscreen._renderer
        inner._program_cache = ShaderProgramCache(shader_dir=str(SHADER_DIR))  # see shaders/mesh.frag
        inner._read_main_framebuffer = lambda scene, flags: (_read_colour(inner), None)
        return self

    def __exit__(self, *exc_info):
        if self._offscreen is not None:
            self._offscreen.delete()
            self._offscreen = None

    def render(self, weights: np.ndarray, head_pose: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
        """One frame: (52,) blendshape weights and (yaw, pitch, roll) radians -> (size, size, 3) uint8."""
        pyrender, _ = _gl()
        vertices, normals = self.avatar.face.pose(weights)
        self._update_face(vertices, normals)
        transform = _head_rotation(*head_pose, self._pivot)
        for node in self._nodes:
            self.scene.set_pose(node, transform)
        colour, _ = self._offscreen.render(self.scene, flags=pyrender.RenderFlags.SKIP_CULL_FACES)
        return colour

    def _update_face(self, vertices: np.ndarray, normals: np.ndarray) -> None:
        """Overwrite the face's vertex buffer in place instead of rebuilding its mesh."""
        _, GL = _gl()
        primitive = self._face_primitive
        if primitive._vaid is None:  # not on the GPU yet: the first render uploads it
            primitive.positions, primitive.normals = vertices, normals
            return
        interleaved = np.hstack([vertices, normals]).astype(np.float32)  # pyrender's layout
        self._offscreen._platform.make_current()
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, primitive._buffers[0])
        GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, interleaved.nbytes, interleaved)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
