"""Avatars: a glTF head with ARKit morph targets, posed by 52 blendshape weights.

The default avatar is the Face Cap head shipped in the `openfacefx` wheel. Loading decodes
the file and paints its colour maps once per process (cached); posing is one matrix product
per frame for the face and one rotation per eyeball.
"""
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse

from rendering.face import paint
from rendering.face.arkit import ARKIT_BLENDSHAPES, arkit_name
from rendering.face.gaze import gaze_rotation
from rendering.face.gltf import GltfError, Primitive, read_glb
from rendering.face.landmarks import Eye, Landmarks, find_landmarks

# Flat colours by part, where a part has no UVs to paint on. Teeth a little darker than the
# skin: lit without shadows, bright teeth would flash with every syllable.
PART_COLOURS = {"head": tuple(paint.SKIN), "eye": (0.32, 0.27, 0.24), "teeth": (0.72, 0.70, 0.64)}
TEXTURE_SIZE = {"head": 1024, "eye": 256}


class AvatarError(ValueError):
    pass


def default_avatar_path() -> Path:
    return Path(str(resources.files("openfacefx").joinpath("studio_web/assets/facecap.glb")))


@dataclass
class Part:
    """One mesh in world space; the face carries its morph deltas reordered to ARKit's."""
    name: str
    vertices: np.ndarray  # (V, 3) world space, neutral pose
    faces: np.ndarray  # (F, 3)
    colour: tuple[float, float, float]
    deltas: np.ndarray | None = None  # (52, V*3) vertex offsets per ARKit blendshape
    texcoords: np.ndarray | None = None  # (V, 2) in [0, 1]
    texture: np.ndarray | None = None  # (H, W, 3) uint8 colour map, painted at load
    eye: Eye | None = None  # set on an eyeball: it turns with the eyeLook* weights

    def __post_init__(self):
        # Vertex normal = sum of the normals of the faces around it: one sparse product.
        # Computed from the posed vertices, so the file's (morph) normals are not needed.
        n_faces = len(self.faces)
        rows = self.faces.reshape(-1)
        cols = np.repeat(np.arange(n_faces), 3)
        self._incidence = scipy.sparse.csr_matrix(
            (np.ones(rows.size, np.float32), (rows, cols)), shape=(len(self.vertices), n_faces))
        self.normals = self.vertex_normals(self.vertices)  # (V, 3), neutral pose

    @property
    def moves(self) -> bool:
        return self.deltas is not None or self.eye is not None

    def pose(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vertices and normals for (52,) weights in [0, 1]."""
        if self.deltas is not None:
            vertices = self.vertices + (weights.astype(np.float32) @ self.deltas).reshape(-1, 3)
            return vertices, self.vertex_normals(vertices)
        if self.eye is not None:
            rotation = gaze_rotation(weights, self.eye).astype(np.float32)
            centre = self.eye.centre.astype(np.float32)
            return (self.vertices - centre) @ rotation.T + centre, self.normals @ rotation.T
        return self.vertices, self.normals

    def vertex_normals(self, vertices: np.ndarray) -> np.ndarray:
        a, b, c = (vertices[self.faces[:, k]] for k in range(3))
        normals = self._incidence @ np.cross(b - a, c - a)  # area-weighted
        return (normals / (np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12)).astype(np.float32)


@dataclass
class Avatar:
    parts: list[Part]
    face: Part  # the part with the blendshapes
    centre: np.ndarray  # (3,) middle of the face's bounding box
    size: float  # height of the face's bounding box
    landmarks: Landmarks


def _to_world(primitive: Primitive) -> np.ndarray:
    linear = primitive.world[:3, :3]
    vertices = primitive.positions @ linear.T + primitive.world[:3, 3]
    return vertices.astype(np.float32)


def _part_kind(name: str) -> str:
    lowered = name.lower()
    if "eye" in lowered:
        return "eye"
    if "teeth" in lowered or "tooth" in lowered:
        return "teeth"
    return "head"


def _paint(part: Part, kind: str, landmarks: Landmarks) -> None:
    """Give the part its colour map (head and eyeballs with UVs; teeth stay flat)."""
    if part.texcoords is None or kind == "teeth" or (kind == "eye" and part.eye is None):
        return
    size = TEXTURE_SIZE[kind]
    positions = paint.position_map(part.texcoords, part.vertices, part.faces, size)
    colour = paint.paint_eye(positions, part.eye) if kind == "eye" else paint.paint_head(positions, landmarks)
    part.texture = paint.to_texture(colour)


def _face_deltas(primitive: Primitive) -> np.ndarray:
    """Morph deltas in world space, rows in ARKit order (a missing shape is all zeros).
    Normals are recomputed from the posed vertices, so normal deltas are not needed."""
    linear = primitive.world[:3, :3]
    by_name = {arkit_name(n): i for i, n in enumerate(primitive.target_names)}
    n_vertices = primitive.positions.shape[0]
    deltas = np.zeros((len(ARKIT_BLENDSHAPES), n_vertices * 3), np.float32)
    for row, name in enumerate(ARKIT_BLENDSHAPES):
        if name in by_name:
            deltas[row] = (primitive.target_positions[by_name[name]] @ linear.T).reshape(-1)
    return deltas


@functools.lru_cache(maxsize=4)
def load_avatar(path: Path | None = None) -> Avatar:
    """Read a glTF 2.0 head whose face mesh has ARKit-named morph targets (at least 40 of
    the 52; Face Cap's `_L/_R` names are accepted)."""
    path = Path(path) if path else default_avatar_path()
    if not path.is_file():
        raise AvatarError(f"avatar file not found: {path}")
    try:
        primitives = read_glb(path)
    except (GltfError, KeyError, IndexError, ValueError) as exc:
        raise AvatarError(f"cannot read avatar {path}: {exc}") from None
    face_primitive = max(primitives, key=lambda p: sum(arkit_name(n) in ARKIT_BLENDSHAPES for n in p.target_names))
    known = sum(arkit_name(n) in ARKIT_BLENDSHAPES for n in face_primitive.target_names)
    if known < 40:
        raise AvatarError(f"{path} has no mesh with ARKit blendshapes (best has {known} of 52)")
    parts, kinds = [], []
    for primitive in primitives:
        name = primitive.node_name or primitive.mesh_name
        is_face = primitive is face_primitive
        kind = "head" if is_face else _part_kind(name)
        uv = paint.normalised_uv(primitive.texcoords) if primitive.texcoords is not None else None
        parts.append(Part(name, _to_world(primitive), primitive.faces, PART_COLOURS[kind],
                          _face_deltas(primitive) if is_face else None, uv))
        kinds.append(kind)
    face = parts[primitives.index(face_primitive)]
    eyeballs = [part for part, kind in zip(parts, kinds) if kind == "eye"]
    landmarks = find_landmarks(face.vertices, face.deltas, [part.vertices for part in eyeballs])
    for part, eye in zip(eyeballs, landmarks.eyes):
        part.eye = eye
    for part, kind in zip(parts, kinds):
        _paint(part, kind, landmarks)
    low, high = face.vertices.min(axis=0), face.vertices.max(axis=0)
    return Avatar(parts=parts, face=face, centre=(low + high) / 2, size=float(high[1] - low[1]), landmarks=landmarks)
