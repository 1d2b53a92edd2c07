"""Signatures for illegal live streams and adult content: rule packs as data, one engine.

Example:
    engine = SignatureEngine.load_default()
    verdict = engine.classify(repost, TrustList(trusted_domains=frozenset({"example-council.gov.uk"})))
    verdict.category, verdict.score, verdict.contributions
"""

from takedown.signatures.engine import BAD_SCORE, Signals, SignatureEngine, TrustList
from takedown.signatures.rules import Pack, Rule, load_pack

__all__ = ["BAD_SCORE", "Pack", "Rule", "SignatureEngine", "Signals", "TrustList", "load_pack"]
