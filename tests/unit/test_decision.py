"""decide(): every combination of verdict, mode, kill switch and earlier incident, as a table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from takedown.decision import Action, acting_rules, decide
from takedown.incidents.model import Incident, IncidentStatus
from takedown.judgement.verdict import Contribution, Verdict
from takedown.policy import AccountPolicy, GlobalSettings

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BAD = Verdict(category="illegal_stream", score=0.9)
CLEAN = Verdict(category=None, score=0.1)
ENFORCED = AccountPolicy(account_id="1", mode="enforce")
MONITORED = AccountPolicy(account_id="1", mode="monitor")


def _incident(status: IncidentStatus, permanent: bool = False) -> Incident:
    return Incident(
        incident_id="1-2",
        account_id="1",
        post_id="2",
        kind="retweet",
        source_post_id="3",
        source_post_url="https://x.com/i/web/status/3",
        category="illegal_stream",
        score=0.9,
        contributions=[],
        status=status,
        last_error_permanent=permanent,
        received_at=NOW,
        detected_at=NOW,
    )


def expected(verdict: Verdict, policy: AccountPolicy, kill_switch: bool, existing: Incident | None) -> str:
    """The rule, written out independently of the implementation."""
    if not verdict.is_bad:
        return "ignore"
    if existing is not None and (
        existing.status not in (IncidentStatus.DETECTED, IncidentStatus.UNDO_FAILED) or existing.last_error_permanent
    ):
        return "skip"
    return "undo" if policy.mode == "enforce" and not kill_switch else "monitor"


EXISTING = [None, *(_incident(status) for status in IncidentStatus), _incident(IncidentStatus.UNDO_FAILED, True)]


@pytest.mark.parametrize(
    ("verdict", "policy", "kill_switch", "existing"),
    list(itertools.product([BAD, CLEAN], [ENFORCED, MONITORED], [False, True], EXISTING)),
)
def test_decide_is_total_and_follows_the_rule(
    verdict: Verdict, policy: AccountPolicy, kill_switch: bool, existing: Incident | None
) -> None:
    action = decide(verdict, policy, GlobalSettings(kill_switch=kill_switch), existing)
    assert isinstance(action, Action) and action.reason
    assert action.kind == expected(verdict, policy, kill_switch, existing)


@pytest.mark.parametrize(
    ("policy", "settings", "reason"),
    [
        (MONITORED, GlobalSettings(), "account in monitor mode"),
        (ENFORCED, GlobalSettings(kill_switch=True), "kill switch on"),
    ],
)
def test_monitoring_says_why(policy: AccountPolicy, settings: GlobalSettings, reason: str) -> None:
    assert decide(BAD, policy, settings, None) == Action("monitor", reason)


def test_an_unconfigured_account_is_only_monitored() -> None:
    assert decide(BAD, AccountPolicy(account_id="9"), GlobalSettings(), None).kind == "monitor"


def test_an_undo_already_scheduled_is_not_scheduled_again_but_the_undo_step_carries_it_out() -> None:
    pending = _incident(IncidentStatus.DETECTED).model_copy(update={"undo_scheduled_for": NOW})
    assert decide(BAD, ENFORCED, GlobalSettings(), pending) == Action("skip", "undo already scheduled")
    assert decide(BAD, ENFORCED, GlobalSettings(), pending, undo_step=True).kind == "undo"
    assert decide(BAD, ENFORCED, GlobalSettings(kill_switch=True), pending, undo_step=True).kind == "monitor"


def test_a_rule_switched_to_monitor_holds_back_only_the_verdicts_it_drove() -> None:
    def verdict(rule: str, kind: str = "rule") -> Verdict:
        return Verdict(
            category="illegal_stream",
            score=0.9,
            contributions=(
                Contribution(kind=kind, rule=rule, version="v", evidence="e", category="illegal_stream", weight=0.9),
            ),
        )

    settings = GlobalSettings(monitored_rules=frozenset({"stream.site.name"}))
    assert decide(verdict("stream.site.name"), ENFORCED, settings, None) == Action(
        "monitor", "rule stream.site.name switched to monitor"
    )
    assert decide(verdict("stream.other"), ENFORCED, settings, None).kind == "undo"
    assert acting_rules(verdict("model:text", kind="model")) == ()
