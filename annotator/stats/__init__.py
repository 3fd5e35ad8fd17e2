"""Core of the annotation app (no Django): agreement between annotators, Bradley-Terry
rankings of a clip's sequences, and where two emotion timelines differ."""
