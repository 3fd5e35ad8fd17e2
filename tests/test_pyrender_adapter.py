"""What rendering/face/pyrender_adapter.py relies on inside the pinned pyrender. If an
upgrade moves any of it, these fail by name instead of the renderer failing obscurely."""
import numpy as np
import pytest

from rendering.face.avatar import load_avatar
from rendering.face.pyrender_adapter import PINNED_VERSION, PRIVATE_API, framebuffer_samples, gl
from rendering.face.render import FaceRenderer


def test_pyrender_is_the_pinned_version_with_every_private_attribute_we_use():
    pyrender, _ = gl()
    assert pyrender.__version__ == PINNED_VERSION, "pyrender changed: re-check pyrender_adapter.py"
    with FaceRenderer(load_avatar(), size=16) as renderer:
        renderer.render(np.zeros(52))  # creates the framebuffers and uploads the moving parts
        offscreen = renderer._offscreen
        objects = {"OffscreenRenderer": offscreen, "Renderer": offscreen._renderer,
                   "Primitive": renderer._moving[0][1]}
        for kind, names in PRIVATE_API.items():
            missing = [name for name in names if not hasattr(objects[kind], name)]
            assert not missing, f"pyrender.{kind} no longer has {missing}"


@pytest.mark.parametrize("msaa, samples", [(False, 0), (True, 4)])
def test_msaa_is_set_per_renderer_and_frames_come_out(msaa, samples):
    avatar = load_avatar()
    with FaceRenderer(avatar, size=32, msaa=msaa) as renderer:
        frame = renderer.render(np.zeros(52))
        assert framebuffer_samples(renderer._offscreen) == samples
    assert frame.shape == (32, 32, 3) and frame.std() > 0  # a face, not a blank frame
