"""The learned model: one logistic regression per category over named features, shipped as a small
text artifact and scored in pure Python (dictionary lookups, no numeric library at run time).

The artifact (`model.tsv`) is a JSON header line (format, features version, categories,
intercepts, thresholds, what it was trained on) and then one line per feature: its name and its
weight for each category. Its version is the SHA-256 of its bytes, copied into every verdict.
It is rebuilt by `takedown model train`, never edited by hand.

Example:
    model = LearnedModel.load_default()
    scores = model.score(post_features(repost, signals, trusted))
    scores["adult"].probability, scores["adult"].top
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from takedown.judgement.features import FEATURES_VERSION, Features
from takedown.judgement.verdict import CATEGORIES, Category

ARTIFACT = Path(__file__).resolve().parent / "model.tsv"
FORMAT = 1
_TOP = 4


class ModelArtifactError(ValueError):
    """The artifact is missing, of another format, or was trained on other features."""


@dataclass(frozen=True, slots=True)
class CategoryScore:
    """The model's probability for one category; `top` says what pushed it up, by group."""

    probability: float
    # per group: each feature's value and the post's features the model knows
    found: dict[str, tuple[float, frozenset[str]]]
    weights: dict[str, float]  # the model's weight of each feature for this category

    @property
    def top(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """The strongest positive features of each group (worked out only when a verdict is explained)."""
        top = {}
        weights = self.weights
        for group, (value, names) in self.found.items():
            pushed = [(weights[name] * value, name) for name in names if weights[name] > 0]
            if pushed:
                pushed.sort(reverse=True)  # a few features a group: a sort in C beats a heap in Python
                top[group] = tuple((name, weight) for weight, name in pushed[:_TOP])
        return top


@dataclass(frozen=True)
class ModelThresholds:
    """Chosen at training on out-of-fold predictions of the training corpus only.

    `alone`: the probability at which the model may undo with no rule support; `with_rules`: the
    probability that suffices when the rules already lean the same way (score >= `rules_lean`).
    """

    alone: float
    with_rules: float
    rules_lean: float


class LearnedModel:
    """Weights by feature name for each category; `score()` is a sum over the post's features."""

    def __init__(self, header: dict[str, Any], names: list[str], columns: list[list[float]], version: str) -> None:
        """`names[i]`'s weight for category `c` is `columns[c][i]` (one column per category, in order)."""
        if header.get("format") != FORMAT:
            raise ModelArtifactError(f"model format {header.get('format')!r}, expected {FORMAT}")
        if header.get("features_version") != FEATURES_VERSION:
            raise ModelArtifactError(
                f"model trained on features {header.get('features_version')!r}, this code extracts {FEATURES_VERSION}"
            )
        if tuple(header.get("categories", ())) != CATEGORIES or CATEGORIES != ("illegal_stream", "adult"):
            raise ModelArtifactError(f"model categories {header.get('categories')!r}, expected {list(CATEGORIES)}")
        self.header = header
        self.version = version
        # A background model explains and is recorded in every verdict, but cannot undo
        # (`takedown model train --background` writes one, to try a new corpus before it may act).
        self.may_undo = bool(header.get("may_undo", False))
        self.intercepts: tuple[float, ...] = tuple(header["intercepts"])
        self.thresholds = {category: ModelThresholds(**header["thresholds"][category]) for category in CATEGORIES}
        # Two flat dicts built at C speed, no tuple per feature: at 10,000 features the tuples alone
        # took half the load. A zero weight is kept (it adds nothing to a sum, and `top` skips it).
        if not len(names) == len(columns[0]) == len(columns[1]):
            raise ModelArtifactError("model columns of different lengths")
        self._stream = dict(zip(names, columns[0], strict=True))
        self._adult = dict(zip(names, columns[1], strict=True))
        self._names = frozenset(names)

    @classmethod
    def from_text(cls, text: str) -> LearnedModel:
        version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        lines = text.split("\n")
        try:
            header = json.loads(lines[0])
        except json.JSONDecodeError as error:
            raise ModelArtifactError(f"model header is not JSON: {error}") from None
        width = len(CATEGORIES)
        rows = [line for line in lines[1:] if line]
        for number, line in enumerate(lines[1:], start=2):
            if line and line.count("\t") != width:
                raise ModelArtifactError(f"model line {number}: expected a name and {width} weights")
        fields = "\t".join(rows).split("\t") if rows else []
        columns = [list(map(float, fields[index :: width + 1])) for index in range(1, width + 1)]
        return cls(header, fields[:: width + 1], columns, version)

    @classmethod
    def load(cls, path: Path) -> LearnedModel:
        try:
            return cls.from_text(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ModelArtifactError(f"cannot read the model {path}: {error.strerror}") from None

    @classmethod
    def load_default(cls) -> LearnedModel:
        """The artifact shipped beside this module, read once per process."""
        return _default_model()

    def score(self, features: Features) -> dict[Category, CategoryScore]:
        """Each category's probability, and what it read of each group (to explain it on demand)."""
        stream, adult = self._stream, self._adult
        stream_terms, adult_terms = [self.intercepts[0]], [self.intercepts[1]]
        found: dict[str, tuple[float, frozenset[str]]] = {}
        for group, names in features.groups.items():
            known = self._names.intersection(names)  # most of a post's features are not in the model
            if known:
                value = 1 / math.sqrt(len(names))
                # fsum is exact whatever the order: the same post gives the same bits, every run.
                stream_terms.append(value * math.fsum(map(stream.__getitem__, known)))
                adult_terms.append(value * math.fsum(map(adult.__getitem__, known)))
                found[group] = (value, known)
        return {
            "illegal_stream": CategoryScore(_sigmoid(math.fsum(stream_terms)), found, stream),
            "adult": CategoryScore(_sigmoid(math.fsum(adult_terms)), found, adult),
        }


def _sigmoid(logit: float) -> float:
    if logit >= 0:
        return 1 / (1 + math.exp(-logit))
    exp = math.exp(logit)
    return exp / (1 + exp)


@cache
def _default_model() -> LearnedModel:
    return LearnedModel.load(ARTIFACT)
