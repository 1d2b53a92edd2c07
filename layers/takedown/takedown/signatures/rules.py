"""Signature rules as data: YAML packs an ops engineer can read, extend and test.

A rule has an id, a category, a description, a weight, what it matches and its own examples.
What it matches is one of:
- `domains`: registrable domains or hosts (a URL's host and every parent up to its registrable
  domain is looked up: a.b.example.com, b.example.com, example.com);
- `domain_labels`: the name part of a registrable domain, whatever the suffix (pirate sites rotate
  TLDs: crackstreams.biz, crackstreams.io...), also without hyphens or trailing digits, as the
  skeleton of a look-alike IDN, and when the post spells it out ("crackstreams dot biz");
- `url_patterns`: regular expressions over the whole URL, case-insensitive (schemes, ports,
  paths, playlist files);
- `phrases`: word sequences matched on folded tokens, in the post's text (`in: text`, the default),
  the original author's name and bio (`in: bio`) or both (`in: any`),
  never inside another word; `unless` lists phrases that, where they overlap a match, cancel it
  ("revenge porn" is a crime to report, not adult content);
- `possibly_sensitive`: X flagged the post's media;
- `all_of`: tags other rules emit; the rule fires when every tag fired (combinations).
A rule with weight 0 only emits its tags. The version of a rule is a hash of its content, so an
incident always says exactly which rule fired.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Category = Literal["illegal_stream", "adult"]
_HOST_NAME = re.compile(r"[^\s/:?#@\[\]]+")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: 10x faster


class RuleExample(BaseModel):
    """A post, reduced to what rules read, that must (or must not) make its rule fire."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = ""
    urls: tuple[str, ...] = ()
    bio: str = ""
    possibly_sensitive: bool = False


class RuleMatch(BaseModel):
    """What a rule matches; see the module docstring for each kind."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    domains: tuple[str, ...] = ()
    domain_labels: tuple[str, ...] = ()
    url_patterns: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    field: Literal["text", "bio", "any"] = Field("text", alias="in")
    possibly_sensitive: bool = False
    all_of: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _says_what_it_matches(self) -> RuleMatch:
        if not any((self.domains, self.domain_labels, self.url_patterns, self.phrases, self.all_of,
                    self.possibly_sensitive)):  # fmt: skip
            raise ValueError("a rule must match something")
        for pattern in self.url_patterns:
            re.compile(pattern)
        for name in (*self.domains, *self.domain_labels):
            if not _HOST_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a host name (no scheme, path, port or spaces)")
        return self


class Rule(BaseModel):
    """One signature: what it matches, how much it weighs, and the examples that prove it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    category: Category
    description: str
    weight: float = Field(ge=0, le=1)
    tags: tuple[str, ...] = ()
    dampened_by_safety_context: bool = False
    match: RuleMatch
    examples: dict[Literal["match", "no_match"], tuple[RuleExample, ...]] = Field(default_factory=dict)

    @property
    def version(self) -> str:
        """The first 12 hex digits of the SHA-256 of the rule's canonical JSON."""
        content = self.model_dump(mode="json", by_alias=True)
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]


class Pack(BaseModel):
    """A file of rules for one concern, with where its lists came from and its allowlist."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pack: str
    description: str
    sources: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    trusted_domains: tuple[str, ...] = ()


def load_pack(path: Path) -> Pack:
    """Read and validate one YAML pack; a pydantic ValidationError names the offending rule field."""
    data: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    return Pack.model_validate(data)
