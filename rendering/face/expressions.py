"""Emotion -> facial expression: a 6 x 52 matrix of ARKit weights, grounded in FACS.

Each emotion's row is its prototypical Action Units (Ekman & Friesen's EMFACS) written as
the ARKit blendshapes that perform them. Neutral is no expression. A mixture of emotions
blends the rows linearly: expression = mixture @ EXPRESSIONS.

  anger    AU4 brow lowerer, AU5 upper lid raiser, AU7 lid tightener, AU23/24 lip tightener/pressor
  disgust  AU9 nose wrinkler, AU10 upper lip raiser, AU15 lip corner depressor, AU17 chin raiser
  fear     AU1+2 inner/outer brow raiser, AU4, AU5, AU20 lip stretcher, AU26 jaw drop
  joy      AU6 cheek raiser, AU12 lip corner puller (+ dimpler, slight lid squint)
  neutral  none
  sadness  AU1 inner brow raiser, AU4, AU15 lip corner depressor, AU17; lids drop slightly
"""
import numpy as np

from dser.emotions import EMOTIONS
from rendering.face.arkit import weights_from

EXPRESSION_SHAPES: dict[str, dict[str, float]] = {
    "anger": {"browDown*": 0.9, "eyeWide*": 0.25, "eyeSquint*": 0.45, "mouthPress*": 0.6,
              "noseSneer*": 0.35, "mouthFrown*": 0.25, "mouthRollLower": 0.15},
    "disgust": {"noseSneer*": 0.9, "mouthUpperUp*": 0.6, "mouthFrown*": 0.45, "mouthShrugLower": 0.4,
                "browDown*": 0.35, "cheekSquint*": 0.35, "eyeSquint*": 0.3},
    "fear": {"browInnerUp": 0.9, "browOuterUp*": 0.7, "browDown*": 0.2, "eyeWide*": 0.9,
             "mouthStretch*": 0.65, "jawOpen": 0.12},
    "joy": {"cheekSquint*": 0.75, "mouthSmile*": 0.95, "mouthDimple*": 0.35, "eyeSquint*": 0.3},
    "neutral": {},
    "sadness": {"browInnerUp": 0.9, "browDown*": 0.3, "mouthFrown*": 0.85, "mouthShrugLower": 0.45,
                "eyeBlink*": 0.18, "eyeLookDown*": 0.2},
}

EXPRESSIONS = np.stack([weights_from(EXPRESSION_SHAPES[emotion]) for emotion in EMOTIONS])  # (6, 52)


def expression_weights(mixtures: np.ndarray) -> np.ndarray:
    """(T, 6) emotion mixtures -> (T, 52) ARKit weights."""
    return mixtures @ EXPRESSIONS
