"""What a judgement says about one post: the bad category (or none), and every contribution to it.

A contribution is one rule of the signature packs, one part of the learned model, or one
safeguard that held an undo back; each carries its evidence and the version it was judged with,
and all of them are copied into the incident.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Category = Literal["illegal_stream", "adult"]
CATEGORIES: tuple[Category, ...] = ("illegal_stream", "adult")
ContributionKind = Literal["rule", "model", "safeguard"]


class Contribution(BaseModel):
    """One reason behind a verdict, as it was at judgement time."""

    model_config = ConfigDict(frozen=True)

    kind: ContributionKind = "rule"
    rule: str  # the rule id, the model's feature group ("model:link"), or the safeguard's name
    version: str
    evidence: str
    category: Category | None = None
    weight: float = 0.0


class Verdict(BaseModel):
    """The judgement on one post. `versions` names the rule packs' and the model's versions."""

    model_config = ConfigDict(frozen=True)

    category: Category | None
    score: float
    contributions: tuple[Contribution, ...] = ()
    versions: dict[str, str] = {}
    held_back_by: str | None = None  # the safeguard that kept a bad-looking post from being undone

    @property
    def is_bad(self) -> bool:
        return self.category is not None
