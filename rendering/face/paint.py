"""Colour maps painted onto the avatar: skin, brows, lips, mouth, eyeballs.

Why paint: the Face Cap head's own texture is a KTX2/Basis file. The one well-kept decoder,
Khronos's libktx (PyPI `pyktx`), needs a libktx that Debian 12 does not ship, and decoded
once by hand the map turned out to be a grey ambient-occlusion sketch with faint brows and
no colour, so it would not carry emotion anyway. So the texture is painted here, in each
part's own UV layout, from where each texel sits on the neutral face:

  1. rasterise the part's triangles into UV space, giving every texel its 3D position;
  2. decide each texel's colour from that position and the landmarks (landmarks.py).

The paint moves with the mesh (brows rise with browInnerUp, lips stretch with a smile)
because it lives in texture space. Shapes and sizes are in eye radii and mouth half-widths,
so another head gets brows above its own eyes.
"""
import numpy as np
import scipy.ndimage

from rendering.face.landmarks import Eye, Landmarks

# Linear colours (the shader applies the display gamma, so they look lighter on screen).
SKIN = np.array([0.80, 0.58, 0.46])
BROW = np.array([0.07, 0.045, 0.03])
LIP = np.array([0.52, 0.17, 0.16])
MOUTH_INSIDE = np.array([0.10, 0.025, 0.025])
SCLERA = np.array([0.86, 0.85, 0.82])
IRIS = np.array([0.13, 0.07, 0.035])
PUPIL = np.array([0.01, 0.008, 0.008])

# Eyeball, as angles from its forward axis: a human iris is about 12 mm across on a 24 mm
# eyeball (half-angle ~30 deg); drawn a little smaller so white shows around it.
IRIS_ANGLE = np.radians(26.0)
PUPIL_ANGLE = np.radians(11.0)
EDGE = 0.012  # soft edge of painted regions, world units (about a texel)


def normalised_uv(texcoords: np.ndarray) -> np.ndarray:
    """UVs scaled to fill [0, 1] (quantised glTF UVs come as integers with a transform)."""
    low, high = texcoords.min(axis=0), texcoords.max(axis=0)
    return (texcoords - low) / np.maximum(high - low, 1e-12)


def position_map(uv: np.ndarray, vertices: np.ndarray, faces: np.ndarray, size: int) -> np.ndarray:
    """(size, size, 3): the neutral 3D position under each texel (row = v, column = u);
    texels outside every triangle take their nearest covered neighbour's, so filtering
    across a UV seam does not pull in a wrong colour."""
    positions = np.zeros((size, size, 3))
    covered = np.zeros((size, size), bool)
    pixel = uv * size - 0.5  # texel centres at integer coordinates
    for face in faces:
        a, b, c = pixel[face]
        low = np.floor(np.minimum(np.minimum(a, b), c)).astype(int).clip(0, size - 1)
        high = np.ceil(np.maximum(np.maximum(a, b), c)).astype(int).clip(0, size - 1)
        cols, rows = np.meshgrid(np.arange(low[0], high[0] + 1), np.arange(low[1], high[1] + 1))
        denominator = (b[1] - c[1]) * (a[0] - c[0]) + (c[0] - b[0]) * (a[1] - c[1])
        if abs(denominator) < 1e-12:
            continue
        wa = ((b[1] - c[1]) * (cols - c[0]) + (c[0] - b[0]) * (rows - c[1])) / denominator
        wb = ((c[1] - a[1]) * (cols - c[0]) + (a[0] - c[0]) * (rows - c[1])) / denominator
        wc = 1 - wa - wb
        inside = (wa >= -1e-6) & (wb >= -1e-6) & (wc >= -1e-6)
        weights = np.stack([wa[inside], wb[inside], wc[inside]], axis=1)
        positions[rows[inside], cols[inside]] = weights @ vertices[face]
        covered[rows[inside], cols[inside]] = True
    if covered.any() and not covered.all():
        _, (near_rows, near_cols) = scipy.ndimage.distance_transform_edt(~covered, return_indices=True)
        positions = positions[near_rows, near_cols]
    return positions


def _inside(distance_outside: np.ndarray) -> np.ndarray:
    """Soft membership from a signed distance (negative inside), EDGE wide."""
    return np.clip(0.5 - distance_outside / EDGE, 0.0, 1.0)


def _blend(colour: np.ndarray, paint: np.ndarray, amount: np.ndarray) -> np.ndarray:
    return colour * (1 - amount[..., None]) + paint * amount[..., None]


def brow_amount(positions: np.ndarray, eye: Eye) -> np.ndarray:
    """An arched brow above the eye: thickest at the inner end, peaking a little outward
    of the eye's centre, as drawn in anatomy references."""
    x, y, z = positions[..., 0], positions[..., 1], positions[..., 2]
    along = (x - eye.centre[0]) * eye.outward / eye.radius  # eye radii, outward positive
    line = eye.centre[1] + eye.radius * (1.25 + 0.22 * (1 - ((along - 0.15) / 1.25) ** 2))
    taper = np.sqrt(np.clip(np.minimum((along + 1.1) / 0.2, (1.3 - along) / 0.6), 0.0, 1.0))  # rounded ends
    half_thickness = eye.radius * (0.17 - 0.06 * (along + 1.1) / 2.4) * taper
    in_front = z > eye.centre[2]
    return _inside(np.abs(y - line) - half_thickness) * (half_thickness > 0) * in_front


def lip_and_mouth_amounts(positions: np.ndarray, landmarks: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    """Lips: an upper and a lower band between the corners, fullest in the middle; the
    inside of the mouth: what lies in that outline deeper than the corners."""
    x, y, z = positions[..., 0], positions[..., 1], positions[..., 2]
    centre, half_width = landmarks.mouth_centre, landmarks.mouth_half_width
    across = np.clip((x - centre[0]) / half_width, -1.0, 1.0)
    fullness = np.sqrt(1 - across ** 2)
    upper, lower = 0.32 * half_width * fullness ** 0.8, 0.45 * half_width * fullness
    above = y - centre[1]
    outside = np.maximum(np.where(above >= 0, above - upper, -above - lower),
                         (np.abs(x - centre[0]) - half_width))
    outline = _inside(outside)
    deep = z < centre[2] - 0.02 * half_width
    return outline * ~deep, outline * deep


def paint_head(positions: np.ndarray, landmarks: Landmarks) -> np.ndarray:
    colour = np.broadcast_to(SKIN, positions.shape).copy()
    for eye in landmarks.eyes:
        colour = _blend(colour, BROW, brow_amount(positions, eye))
    lips, inside = lip_and_mouth_amounts(positions, landmarks)
    colour = _blend(colour, LIP, lips)
    return _blend(colour, MOUTH_INSIDE, inside)


def paint_eye(positions: np.ndarray, eye: Eye) -> np.ndarray:
    """Sclera, iris and pupil by the angle from the eye's forward axis (+z, where the head
    faces); a darker ring at the iris's rim, as real irises have, helps it read when small."""
    direction = positions - eye.centre
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True) + 1e-12
    angle = np.arccos(np.clip(direction[..., 2], -1.0, 1.0))

    def within(limit: float) -> np.ndarray:
        return _inside((angle - limit) * eye.radius)  # arc length on the eyeball

    colour = np.broadcast_to(SCLERA, positions.shape).copy()
    colour = _blend(colour, IRIS * 0.55, within(IRIS_ANGLE))
    colour = _blend(colour, IRIS, within(IRIS_ANGLE * 0.82))
    return _blend(colour, PUPIL, within(PUPIL_ANGLE))


def to_texture(colour: np.ndarray) -> np.ndarray:
    return (np.clip(colour, 0, 1) * 255).round().astype(np.uint8)
