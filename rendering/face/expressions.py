"""Emotion -> facial expression: a 6 x 52 matrix of ARKit weights, grounded in FACS.

Each emotion's row is its prototypical Action Units written as the ARKit blendshapes that
perform them. Source: the EMFACS emotion prototypes of Ekman, Friesen & Hager, "Facial Action
Coding System: Investigator's Guide" (2002), as summarised in Matsumoto & Ekman, "Facial
expression analysis" (Scholarpedia, 2008). Neutral is no expression. A mixture of emotions
blends the rows linearly: expression = mixture @ EXPRESSIONS.

  anger    AU4 brow lowerer, AU5 upper lid raiser (white above the iris), AU7 lid tightener,
           AU23/24 lip tightener/pressor (thin, rolled-in lips)
  disgust  AU9 nose wrinkler, AU10 upper lip raiser (upper teeth show), AU15 lip corner
           depressor, AU17 chin raiser; AU6 comes with a strong AU9; brows only slightly down
  fear     AU1+2 inner/outer brow raiser, AU4, AU5 (white around the iris), AU20 lip stretcher,
           AU26 jaw drop
  joy      AU6 cheek raiser (lower lids up), AU12 lip corner puller, AU25 lips apart
           (+ dimpler); no brow action, which is why joy/neutral is told apart by eyes and mouth
  neutral  none
  sadness  AU1 inner brow raiser, AU4, AU15 lip corner depressor, AU17; upper lids drop (AU43
           at low intensity) and the gaze falls (AU64)

Calibrated so that every pair differs visibly in a still: benchmarks/avatar_readability.py.
"""
import numpy as np

from dser.emotions import EMOTIONS
from rendering.face.arkit import weights_from

EXPRESSION_SHAPES: dict[str, dict[str, float]] = {
    "anger": {"browDown*": 1.0, "eyeWide*": 0.4, "eyeSquint*": 0.45, "mouthPress*": 0.7,
              "mouthRollLower": 0.25, "mouthRollUpper": 0.2, "noseSneer*": 0.3, "mouthFrown*": 0.2},
    "disgust": {"noseSneer*": 1.0, "mouthUpperUp*": 0.85, "mouthFrown*": 0.5, "mouthShrugLower": 0.45,
                "browDown*": 0.25, "cheekSquint*": 0.5, "eyeSquint*": 0.35},
    "fear": {"browInnerUp": 0.9, "browOuterUp*": 0.7, "browDown*": 0.2, "eyeWide*": 0.9,
             "mouthStretch*": 0.65, "jawOpen": 0.12},
    "joy": {"cheekSquint*": 1.0, "mouthSmile*": 1.0, "mouthDimple*": 0.5, "eyeSquint*": 0.6, "jawOpen": 0.1},
    "neutral": {},
    "sadness": {"browInnerUp": 1.0, "browDown*": 0.35, "mouthFrown*": 1.0, "mouthShrugLower": 0.5,
                "eyeBlink*": 0.3, "eyeLookDown*": 0.45},
}

EXPRESSIONS = np.stack([weights_from(EXPRESSION_SHAPES[emotion]) for emotion in EMOTIONS])  # (6, 52)


def expression_weights(mixtures: np.ndarray) -> np.ndarray:
    """(T, 6) emotion mixtures -> (T, 52) ARKit weights."""
    return mixtures @ EXPRESSIONS
