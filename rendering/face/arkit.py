"""The 52 ARKit blendshapes: the face rig every animation source here speaks."""
import numpy as np

ARKIT_BLENDSHAPES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose",
    "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight",
    "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
)
INDEX = {name: i for i, name in enumerate(ARKIT_BLENDSHAPES)}


def arkit_name(name: str) -> str:
    """Face Cap and other exporters write 'eyeBlink_L'; ARKit says 'eyeBlinkLeft'."""
    if name.endswith("_L"):
        return name[:-2] + "Left"
    if name.endswith("_R"):
        return name[:-2] + "Right"
    return name


def weights_from(shapes: dict[str, float]) -> np.ndarray:
    """A (52,) weight vector from {name: weight}; a name ending in '*' sets Left and Right."""
    weights = np.zeros(len(ARKIT_BLENDSHAPES))
    for name, value in shapes.items():
        names = (name[:-1] + "Left", name[:-1] + "Right") if name.endswith("*") else (name,)
        for side in names:
            weights[INDEX[side]] = value
    return weights
