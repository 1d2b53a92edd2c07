"""Account policy: unknown accounts, the kill switch, changes without a deploy (the decision: test_decision)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from takedown.decision import decide
from takedown.judgement.verdict import Verdict
from takedown.policy import AccountPolicy, GlobalSettings, PolicyStore
from takedown_local.template import create_tables
from tests.conftest import ROOT

ENFORCED = AccountPolicy(account_id="1", mode="enforce")
MONITORED = AccountPolicy(account_id="1", mode="monitor")
BAD = Verdict(category="adult", score=1.0)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb")


@pytest.fixture
def accounts_table(dynamodb: Any) -> str:
    return create_tables(dynamodb, ROOT / "template.yaml", prefix="p-")["AccountsTable"]


def test_an_unknown_account_is_only_monitored(dynamodb: Any, accounts_table: str) -> None:
    policy = PolicyStore(dynamodb, accounts_table).policy_for("999")
    assert (policy.mode, decide(BAD, policy, GlobalSettings(), None).kind) == ("monitor", "monitor")


def test_policies_round_trip(dynamodb: Any, accounts_table: str) -> None:
    store = PolicyStore(dynamodb, accounts_table)
    policy = AccountPolicy(
        account_id="1", handle="ExampleConstab", mode="enforce",
        trusted_author_ids=frozenset({"42"}), trusted_domains=frozenset({"sussex.police.uk"}),
    )  # fmt: skip
    store.put_policy(policy)
    assert PolicyStore(dynamodb, accounts_table).policy_for("1") == policy


def test_changes_take_effect_after_max_age_without_a_deploy(dynamodb: Any, accounts_table: str) -> None:
    clock = _Clock()
    reader = PolicyStore(dynamodb, accounts_table, max_age_seconds=60, clock=clock)
    writer = PolicyStore(dynamodb, accounts_table)
    writer.put_policy(ENFORCED)
    assert reader.policy_for("1").mode == "enforce"
    writer.put_policy(MONITORED)
    writer.set_kill_switch(True)
    clock.now = 59
    assert reader.policy_for("1").mode == "enforce"  # cached
    clock.now = 61
    assert reader.policy_for("1").mode == "monitor"
    assert reader.settings().kill_switch is True
