"""Every rule's own examples: each must (or must not) make that rule fire, with the default packs."""

from __future__ import annotations

import pytest

from takedown.repost import Author, Repost
from takedown.signatures import SignatureEngine
from takedown.signatures.engine import _Hits
from takedown.signatures.rules import Rule, RuleExample

ENGINE = SignatureEngine.load_default()


def repost_from(example: RuleExample) -> Repost:
    return Repost(
        account_id="1",
        post_id="2",
        kind="retweet",
        by_account=True,
        source_post_id="3",
        source_author=Author(id="4", handle="someone", bio=example.bio),
        text=example.text,
        urls=example.urls,
        possibly_sensitive=example.possibly_sensitive,
    )


def fired(rule: Rule, example: RuleExample) -> bool:
    hits: _Hits = ENGINE.signals(repost_from(example))
    return rule.id in hits.evidence


CASES = [
    pytest.param(rule, example, expected, id=f"{rule.id}-{kind}-{index}")
    for rule in ENGINE.rules.values()
    for kind, expected in (("match", True), ("no_match", False))
    for index, example in enumerate(rule.examples.get(kind, ()))
]


def test_every_rule_has_examples_both_ways() -> None:
    for rule in ENGINE.rules.values():
        assert rule.examples.get("match") and rule.examples.get("no_match"), rule.id


@pytest.mark.parametrize(("rule", "example", "expected"), CASES)
def test_rule_examples(rule: Rule, example: RuleExample, expected: bool) -> None:
    assert fired(rule, example) is expected


def test_versions_are_content_hashes() -> None:
    rule = next(iter(ENGINE.rules.values()))
    changed = rule.model_copy(update={"weight": rule.weight / 2})
    assert len(rule.version) == 12 and rule.version != changed.version
    assert rule.model_copy().version == rule.version
