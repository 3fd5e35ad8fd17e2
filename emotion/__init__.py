"""The emotion-model library: wav2vec2 + Dirichlet models, sliding-window inference, the
stage-1/2/DPO trainers, evaluation, the classical baseline, checkpoints and the embedded
defaults. Plain Python and torch, no Django; its CLI is `python -m emotion`."""
