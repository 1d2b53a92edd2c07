"""`takedown breaker show|reset`: what the circuit breaker holds, switched back by a person."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from takedown.policy import PolicyStore
from takedown_cli.main import main
from takedown_local.template import create_tables
from tests.conftest import ROOT


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PolicyStore, str]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        table = create_tables(dynamodb, ROOT / "template.yaml", prefix="b-")["AccountsTable"]
        policies = PolicyStore(dynamodb, table, max_age_seconds=0)
        policies.set_rule_monitored("stream.site.name", monitored=True)
        policies.set_rule_monitored("adult.words.explicit", monitored=True)
        policies.set_kill_switch(True, "circuit breaker: 21 undos in 10 minutes")
        yield policies, table


def test_show_then_reset_one_rule(held: tuple[PolicyStore, str], capsys: pytest.CaptureFixture[str]) -> None:
    policies, table = held
    assert main(["breaker", "--table", table, "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["kill_switch"] and shown["monitored_rules"] == ["adult.words.explicit", "stream.site.name"]
    assert main(["breaker", "--table", table, "reset", "--rule", "stream.site.name"]) == 0
    assert policies.settings().monitored_rules == frozenset({"adult.words.explicit"})
    assert policies.settings().kill_switch  # one rule back; the kill switch is a separate decision


def test_reset_all_clears_every_rule_and_the_kill_switch(held: tuple[PolicyStore, str]) -> None:
    policies, table = held
    assert main(["breaker", "--table", table, "reset", "--all"]) == 0
    settings = policies.settings()
    assert settings.monitored_rules == frozenset() and not settings.kill_switch


def test_reset_as_json(held: tuple[PolicyStore, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, table = held
    capsys.readouterr()
    assert main(["breaker", "reset", "--rule", "stream.site.name", "--json", "--table", table]) == 0
    assert json.loads(capsys.readouterr().out) == {"released_rules": ["stream.site.name"], "kill_switch": True}


def test_a_rule_not_held_is_a_clear_error(held: tuple[PolicyStore, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, table = held
    assert main(["breaker", "--table", table, "reset", "--rule", "no.such.rule"]) == 5  # not found
    assert capsys.readouterr().err == "takedown breaker: rule no.such.rule is not held in monitor\n"
