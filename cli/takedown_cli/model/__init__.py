"""Training and evaluation of the judgement's learned model (developer side; never shipped to Lambda)."""

SEED = 20261201  # the pinned training seed: the same corpus gives the same artifact, byte for byte
