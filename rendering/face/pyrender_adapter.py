"""Everything this project does to pyrender beyond its public API, in one place.

pyrender (pinned in requirements.txt) is used for its scene graph and EGL context, but three
of its fixed behaviours cost too much on a software rasteriser (llvmpipe), so they are
changed here, on one renderer instance at a time, through private attributes:

  * it always allocates a 4x multisampled framebuffer: `msaa=False` re-allocates it with
    0 samples, about halving the cost of a frame;
  * it always reads back depth as well as colour: we read colour only;
  * its PBR shader is replaced by our Lambert shader (shaders/mesh.frag), and the vertex
    buffers of the parts that move (face, eyeballs) are overwritten in place instead of
    re-uploading a new mesh every frame.

`PRIVATE_API` lists the attributes relied on; tests/test_pyrender_adapter.py fails loudly
if the pinned pyrender changes under them.
"""
import functools
import os
from pathlib import Path

import numpy as np

SHADER_DIR = Path(__file__).resolve().parent / "shaders"
PINNED_VERSION = "0.1.45"
PYRENDER_SAMPLES = 4  # what pyrender.Renderer._configure_main_framebuffer allocates
PRIVATE_API = {
    "OffscreenRenderer": ("_renderer", "_platform"),
    "Renderer": ("_configure_main_framebuffer", "_read_main_framebuffer", "_program_cache", "_main_fb",
                 "_main_fb_ms", "_main_cb_ms", "_main_db_ms", "_main_fb_dims"),
    "Primitive": ("_vaid", "_buffers"),
}


class RenderError(RuntimeError):
    pass


@functools.cache
def gl():
    """pyrender and OpenGL, imported once (EGL unless PYOPENGL_PLATFORM says otherwise)."""
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    try:
        import pyrender
        from OpenGL import GL
    except (ImportError, OSError) as exc:
        raise RenderError(f"no usable OpenGL ({exc}); install libegl1 and libgl1-mesa-dri, "
                          "or set PYOPENGL_PLATFORM") from exc
    return pyrender, GL


def open_offscreen(size: int, msaa: bool):
    """A pyrender OffscreenRenderer of `size` x `size` with this project's changes applied.
    The caller must `delete()` it."""
    pyrender, _ = gl()
    try:
        offscreen = pyrender.OffscreenRenderer(size, size)
    except Exception as exc:  # EGL failures come as many exception types
        raise RenderError(f"cannot create an offscreen OpenGL context ({type(exc).__name__}: {exc}); "
                          "install libegl1 and libgl1-mesa-dri, or set PYOPENGL_PLATFORM") from exc
    from pyrender.shader_program import ShaderProgramCache

    inner = offscreen._renderer
    inner._program_cache = ShaderProgramCache(shader_dir=str(SHADER_DIR))
    inner._read_main_framebuffer = lambda scene, flags: (_read_colour(inner), None)
    if not msaa:
        _allocate_samples(inner, 0)
    return offscreen


def _allocate_samples(inner, samples: int) -> None:
    """Make pyrender's multisampled framebuffer use `samples` per pixel: whenever pyrender
    (re)creates it, re-specify its two renderbuffers' storage."""
    _, GL = gl()
    create = inner._configure_main_framebuffer

    def configure():
        fresh = inner._main_fb is None
        create()
        if fresh and samples != PYRENDER_SAMPLES:
            width, height = inner._main_fb_dims
            for buffer, internal_format in ((inner._main_cb_ms, GL.GL_RGBA), (inner._main_db_ms, GL.GL_DEPTH_COMPONENT24)):
                GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, buffer)
                GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, samples, internal_format, width, height)
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, 0)

    inner._configure_main_framebuffer = configure


def framebuffer_samples(offscreen) -> int:
    """Samples per pixel of the framebuffer pyrender draws into (after the first render)."""
    _, GL = gl()
    offscreen._platform.make_current()
    GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, offscreen._renderer._main_cb_ms)
    samples = GL.glGetRenderbufferParameteriv(GL.GL_RENDERBUFFER, GL.GL_RENDERBUFFER_SAMPLES)
    GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, 0)
    return int(np.asarray(samples).reshape(-1)[0])


def _read_colour(inner) -> np.ndarray:
    """pyrender's framebuffer read without the depth image it always computes:
    resolve, read RGB, flip to image rows."""
    _, GL = gl()
    width, height = inner._main_fb_dims
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb_ms)
    GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, inner._main_fb)
    GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, inner._main_fb)
    pixels = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    return np.flip(np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, 3), axis=0)


def overwrite_vertices(offscreen, primitive, vertices: np.ndarray, normals: np.ndarray) -> None:
    """Overwrite a primitive's vertex buffer in place instead of rebuilding its mesh."""
    _, GL = gl()
    if primitive._vaid is None:  # not on the GPU yet: the first render uploads it
        primitive.positions, primitive.normals = vertices, normals
        return
    columns = [vertices, normals] if primitive.texcoord_0 is None else [vertices, normals, primitive.texcoord_0]
    interleaved = np.hstack(columns).astype(np.float32)  # pyrender's layout
    offscreen._platform.make_current()
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, primitive._buffers[0])
    GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, interleaved.nbytes, interleaved)
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
