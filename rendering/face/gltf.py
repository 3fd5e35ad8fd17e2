"""A small glTF 2.0 (.glb) reader for avatar heads: meshes, morph targets, node transforms.

Handles what avatar exports use: EXT_meshopt_compression (decoded with the `meshopt`
package), KHR_mesh_quantization (integer attributes, normalised or dequantised by node
transforms), and morph target names from `mesh.extras.targetNames`. Texture coordinates are
read; textures themselves are not (the renderer paints its own: see paint.py). Plain Python + numpy.
"""
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import meshopt
import numpy as np

_COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_NORMALISE = {np.int8: 127.0, np.uint8: 255.0, np.int16: 32767.0, np.uint16: 65535.0}


class GltfError(ValueError):
    pass


@dataclass
class Primitive:
    mesh_name: str
    node_name: str
    world: np.ndarray  # (4, 4) node-to-world transform
    positions: np.ndarray  # (V, 3) float32, mesh space
    faces: np.ndarray  # (F, 3) int
    target_names: list[str]
    target_positions: np.ndarray  # (T, V, 3) deltas
    texcoords: np.ndarray | None = None  # (V, 2) TEXCOORD_0 as stored (quantised ones not rescaled)


def _chunks(data: bytes) -> tuple[dict, bytes]:
    magic, version, _ = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF" or version != 2:
        raise GltfError("not a binary glTF 2.0 file (.glb)")
    offset, document, binary = 12, None, b""
    while offset < len(data):
        length, kind = struct.unpack_from("<II", data, offset)
        body = data[offset + 8: offset + 8 + length]
        if kind == 0x4E4F534A:
            document = json.loads(body)
        elif kind == 0x004E4942:
            binary = body
        offset += 8 + length
    if document is None:
        raise GltfError("glb has no JSON chunk")
    return document, binary


class _Reader:
    def __init__(self, document: dict, binary: bytes):
        self.doc = document
        self.binary = binary
        self._views: dict[int, bytes] = {}

    def view(self, index: int) -> bytes:
        if index not in self._views:
            view = self.doc["bufferViews"][index]
            compressed = view.get("extensions", {}).get("EXT_meshopt_compression")
            if compressed:
                start = compressed.get("byteOffset", 0)
                data = self.binary[start: start + compressed["byteLength"]]
                rows = meshopt.decode_gltf_buffer(data, compressed["count"], compressed["byteStride"],
                                                  compressed["mode"], compressed.get("filter", "NONE"))
                self._views[index] = np.ascontiguousarray(rows).tobytes()
            else:
                if view["buffer"] != 0:
                    raise GltfError("only the glb's own binary buffer is supported")
                start = view.get("byteOffset", 0)
                self._views[index] = self.binary[start: start + view["byteLength"]]
        return self._views[index]

    def accessor(self, index: int) -> np.ndarray:
        acc = self.doc["accessors"][index]
        dtype = np.dtype(_COMPONENTS[acc["componentType"]])
        width, count = _WIDTH[acc["type"]], acc["count"]
        view = self.doc["bufferViews"][acc["bufferView"]]
        stride = view.get("byteStride") or dtype.itemsize * width
        raw = np.frombuffer(self.view(acc["bufferView"]), dtype=np.uint8)
        start = acc.get("byteOffset", 0)
        rows = np.lib.stride_tricks.as_strided(raw[start:], shape=(count, dtype.itemsize * width), strides=(stride, 1))
        values = np.ascontiguousarray(rows).view(dtype).reshape(count, width)
        if acc.get("normalized"):
            values = np.maximum(values.astype(np.float32) / _NORMALISE[dtype.type], -1.0)
        return values.astype(np.float32) if width > 1 else values.reshape(-1)


def _local_matrix(node: dict) -> np.ndarray:
    if "matrix" in node:
        return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T
    x, y, z, w = node.get("rotation", [0, 0, 0, 1])
    rotation = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * np.array(node.get("scale", [1, 1, 1]))
    matrix[:3, 3] = node.get("translation", [0, 0, 0])
    return matrix


def _world_matrices(doc: dict) -> dict[int, np.ndarray]:
    scene = doc["scenes"][doc.get("scene", 0)]
    world = {}
    stack = [(root, np.eye(4)) for root in scene["nodes"]]
    while stack:
        index, parent = stack.pop()
        world[index] = parent @ _local_matrix(doc["nodes"][index])
        stack += [(child, world[index]) for child in doc["nodes"][index].get("children", [])]
    return world


def _parent_names(doc: dict) -> dict[int, str]:
    names = {}
    for node in doc["nodes"]:
        for child in node.get("children", []):
            names[child] = node.get("name", "")
    return names


def read_glb(path: Path) -> list[Primitive]:
    """Every triangle primitive of the default scene, with its world transform."""
    document, binary = _chunks(Path(path).read_bytes())
    reader = _Reader(document, binary)
    parents = _parent_names(document)
    primitives = []
    for node_index, world in _world_matrices(document).items():
        node = document["nodes"][node_index]
        if "mesh" not in node:
            continue
        mesh = document["meshes"][node["mesh"]]
        names = mesh.get("extras", {}).get("targetNames", [])
        for prim in mesh["primitives"]:
            if prim.get("mode", 4) != 4:
                continue
            positions = reader.accessor(prim["attributes"]["POSITION"])
            faces = reader.accessor(prim["indices"]).reshape(-1, 3).astype(np.int64)
            targets = prim.get("targets", [])
            target_positions = np.stack([reader.accessor(t["POSITION"]) for t in targets]) if targets else \
                np.zeros((0, *positions.shape), np.float32)
            primitives.append(Primitive(
                mesh_name=mesh.get("name", ""), node_name=node.get("name") or parents.get(node_index, ""),
                world=world, positions=positions, faces=faces,
                target_names=list(names) if len(names) == len(targets) else [f"target{i}" for i in range(len(targets))],
                target_positions=target_positions,
                texcoords=reader.accessor(prim["attributes"]["TEXCOORD_0"]) if "TEXCOORD_0" in prim["attributes"] else None,
            ))
    if not primitives:
        raise GltfError(f"{path} has no triangle meshes")
    return primitives
