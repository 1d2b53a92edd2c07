"""Signatures for illegal live streams and adult content: rule packs as data, one engine."""

from takedown.signatures.engine import BAD_SCORE, SignatureEngine, TrustList, Verdict
from takedown.signatures.rules import Pack, Rule, load_pack

__all__ = ["BAD_SCORE", "Pack", "Rule", "SignatureEngine", "TrustList", "Verdict", "load_pack"]
