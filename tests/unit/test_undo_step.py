"""The undo step on moto's DynamoDB with fakes of X, the undo queue and Teams: pacing by X's own
rate-limit headers, retries with backoff, failures that need a human, and the circuit breaker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from takedown.incidents.model import Incident, IncidentStatus
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Contribution
from takedown.policy import AccountPolicy, PolicyStore
from takedown.undo import BreakerLimits, CircuitBreaker, QueuedUndo, UndoRequest, UndoStep, XRateBudget
from takedown.undo.alerts import build_breaker_card
from takedown.undo.step import UndoMessageError, retry_delay_seconds
from takedown.x_api import (
    RateLimit,
    UndoOutcome,
    XAuthError,
    XCredentialsError,
    XCreditsError,
    XRateLimitedError,
    XUnavailableError,
    XUnexpectedResponseError,
)
from takedown_local.template import create_tables
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT, OTHER = "1000000000000000001", "1000000000000000002"
RULE = "stream.site.name"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class FakeX:
    """Answers like X: each call spends one of `limit` per window and says what is left."""

    def __init__(self, clock: Clock, limit: int = 50) -> None:
        self.clock, self.limit, self.used = clock, limit, 0
        self.calls: list[tuple[str, str]] = []
        self.errors: list[Exception] = []

    def unretweet(self, account_id: str, source_post_id: str) -> UndoOutcome:
        return self._call("unretweet", source_post_id)

    def delete_post(self, post_id: str) -> UndoOutcome:
        return self._call("delete_post", post_id)

    def _call(self, action: Any, post_id: str) -> UndoOutcome:
        self.calls.append((action, post_id))
        if self.errors:
            raise self.errors.pop(0)
        self.used += 1
        reset = self.clock.now + timedelta(seconds=90)
        return UndoOutcome(action, post_id, rate_limit=RateLimit(self.limit, self.limit - self.used, reset))


class FakeScheduler:
    def __init__(self) -> None:
        self.sent: list[tuple[UndoRequest, int]] = []

    def schedule(self, request: UndoRequest, delay_seconds: int = 0) -> None:
        self.sent.append((request, delay_seconds))


class FakeAlert:
    def __init__(self) -> None:
        self.sent: list[tuple[str | None, str]] = []

    def tripped(self, rule: str | None, reason: str) -> None:
        self.sent.append((rule, reason))


class Metrics:
    def __init__(self) -> None:
        self.events: list[str] = []

    def undone(self, time_to_takedown_ms: int) -> None:
        self.events.append("undone")

    def undo_scheduled(self, reason: str) -> None:
        self.events.append(f"scheduled:{reason}")

    def undo_failed(self, reason: str) -> None:
        self.events.append(f"failed:{reason}")

    def breaker_tripped(self) -> None:
        self.events.append("breaker")


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="u-")
        clock = Clock()
        policies = PolicyStore(dynamodb, tables["AccountsTable"], max_age_seconds=0)
        for account in (ACCOUNT, OTHER):
            policies.put_policy(AccountPolicy(account_id=account, mode="enforce"))
        incidents = IncidentStore(dynamodb, tables["IncidentsTable"], clock=clock)
        x, scheduler, alert, metrics = FakeX(clock), FakeScheduler(), FakeAlert(), Metrics()
        undoer: dict[str, Any] = {"for": lambda _policy: x}

        def undoer_for(policy: AccountPolicy) -> Any:
            return undoer["for"](policy)

        breaker = CircuitBreaker(dynamodb, tables["ControlTable"], BreakerLimits(max_undos=20))
        step = UndoStep(
            incidents, policies, undoer_for, scheduler,
            XRateBudget(dynamodb, tables["ControlTable"]), breaker, alert, metrics, clock, max_failures=3,
        )  # fmt: skip
        yield {
            "step": step, "x": x, "scheduler": scheduler, "alert": alert, "metrics": metrics, "clock": clock,
            "incidents": incidents, "policies": policies, "undoer": undoer, "breaker": breaker,
        }  # fmt: skip


def _incident(world: dict, post_id: str, account: str = ACCOUNT, rule: str = RULE, kind: str = "retweet") -> Incident:
    incident, _ = world["incidents"].create(
        Incident(
            incident_id=Incident.id_for(account, post_id),
            account_id=account,
            post_id=post_id,
            kind=kind,  # type: ignore[arg-type]
            source_post_id=f"9{post_id[1:]}",
            source_post_url=f"https://x.com/i/web/status/9{post_id[1:]}",
            category="illegal_stream",
            score=0.95,
            contributions=[Contribution(rule=rule, version="v1", evidence="e", category="illegal_stream", weight=0.9)],
            received_at=NOW - timedelta(seconds=1),
            detected_at=NOW,
        )
    )
    return incident


def _request(incident: Incident, failures: int = 0) -> UndoRequest:
    return UndoRequest(
        incident_id=incident.incident_id, account_id=incident.account_id, failures=failures, requested_at=NOW
    )


def _run(world: dict, incident: Incident, failures: int = 0):  # noqa: ANN202
    return world["step"].run(_request(incident, failures))


def test_a_retweet_is_undone_by_its_original_id_and_recorded(world: dict) -> None:
    incident = _incident(world, "1000000000000000101")
    result = _run(world, incident)
    assert result.outcome == "undone"
    assert world["x"].calls == [("unretweet", incident.source_post_id)]
    stored = world["incidents"].get(incident.incident_id)
    assert [c.status for c in stored.history] == [IncidentStatus.DETECTED, IncidentStatus.UNDONE]
    assert (stored.undo_attempts, stored.time_to_takedown_ms) == (1, 1000)
    assert world["metrics"].events == ["undone"]


def test_a_quote_is_deleted(world: dict) -> None:
    incident = _incident(world, "1000000000000000102", kind="quote")
    assert _run(world, incident).outcome == "undone"
    assert world["x"].calls == [("delete_post", incident.post_id)]


def test_a_duplicate_request_does_nothing_twice(world: dict) -> None:
    incident = _incident(world, "1000000000000000103")
    assert [_run(world, incident).outcome for _ in range(2)] == ["undone", "skipped"]
    assert len(world["x"].calls) == 1


def test_a_spent_budget_schedules_for_the_reset_without_calling_x_and_other_accounts_go_on(world: dict) -> None:
    world["x"].limit = 2
    first, second, third = (_incident(world, f"100000000000000020{n}") for n in range(3))
    assert [_run(world, i).outcome for i in (first, second)] == ["undone", "undone"]
    result = _run(world, third)
    assert result.outcome == "scheduled" and len(world["x"].calls) == 2
    assert result.reason == "undo scheduled at 12:01:30 UTC — X rate limit"
    ((request, delay),) = world["scheduler"].sent
    assert (request.incident_id, request.failures, delay) == (third.incident_id, 0, 90)
    stored = world["incidents"].get(third.incident_id)
    assert stored.status is IncidentStatus.DETECTED and stored.undo_scheduled_for == NOW + timedelta(seconds=90)
    assert stored.history[-1].note == result.reason
    # Another account's budget is its own: its undo is not delayed.
    assert _run(world, _incident(world, "1000000000000000299", account=OTHER)).outcome == "undone"
    # After the reset the waiting undo goes through.
    world["clock"].now, world["x"].used = NOW + timedelta(seconds=91), 0
    assert _run(world, third).outcome == "undone"


def test_a_429_from_x_waits_for_its_reset_and_counts_as_a_failed_try(world: dict) -> None:
    incident = _incident(world, "1000000000000000301")
    reset = NOW + timedelta(seconds=42)
    error = XRateLimitedError("429", reset_at=reset, retry_after_seconds=42)
    error.rate_limit = RateLimit(50, 0, reset)
    world["x"].errors.append(error)
    result = _run(world, incident)
    assert result.outcome == "scheduled" and "X rate limit" in result.reason
    ((request, delay),) = world["scheduler"].sent
    assert (request.failures, delay) == (1, 42)
    # X said the budget is spent: the next undo of the account waits without asking X.
    assert _run(world, _incident(world, "1000000000000000302")).outcome == "scheduled"
    assert len(world["x"].calls) == 1


def test_an_outage_backs_off_then_fails_for_a_human_on_the_last_try(world: dict) -> None:
    incident = _incident(world, "1000000000000000401")
    world["x"].errors.extend([XUnavailableError("503", status=503)] * 3)
    outcomes = [_run(world, incident, failures).outcome for failures in range(3)]
    assert outcomes == ["scheduled", "scheduled", "undo_failed"]
    assert [delay for _, delay in world["scheduler"].sent] == [5, 10]
    stored = world["incidents"].get(incident.incident_id)
    assert stored.status is IncidentStatus.UNDO_FAILED and not stored.last_error_permanent
    assert stored.last_error.startswith("X unavailable on all 3 tries")
    assert [c.note for c in stored.history[1:3]] == [
        "undo scheduled at 12:00:05 UTC — X unavailable", "undo scheduled at 12:00:10 UTC — X unavailable",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (XAuthError("unretweet: HTTP 401 Unauthorized", status=401), "X refused the account's credentials"),
        (XCreditsError("unretweet: HTTP 402 Payment Required", status=402), "X credits exhausted"),
        (XUnexpectedResponseError("unretweet: HTTP 200 but data.retweeted is True"), "unexpected X answer"),
    ],
)
def test_a_refusal_or_unexpected_answer_fails_at_once_for_a_human(world: dict, error: Exception, reason: str) -> None:
    incident = _incident(world, "1000000000000000501")
    world["x"].errors.append(error)
    result = _run(world, incident)
    assert result.outcome == "undo_failed" and result.reason.startswith(reason)
    stored = world["incidents"].get(incident.incident_id)
    assert (stored.status, stored.last_error_permanent) == (IncidentStatus.UNDO_FAILED, True)
    assert _run(world, incident).outcome == "skipped" and len(world["x"].calls) == 1


def test_missing_credentials_fail_at_once_for_a_human(world: dict) -> None:
    def no_credentials(_policy: AccountPolicy) -> Any:
        raise XCredentialsError("secret takedown/x-account/1000000000000000001: ResourceNotFoundException")

    world["undoer"]["for"] = no_credentials
    result = _run(world, _incident(world, "1000000000000000601"))
    assert result.outcome == "undo_failed"
    assert result.reason.startswith("X credentials missing or unusable: secret takedown/x-account/")
    assert world["metrics"].events == ["failed:X credentials missing or unusable"]


def test_a_kill_switch_thrown_while_the_undo_waited_holds_it_back(world: dict) -> None:
    incident = _incident(world, "1000000000000000701")
    world["policies"].set_kill_switch(True, reason="ops")
    result = _run(world, incident)
    assert (result.outcome, result.reason, world["x"].calls) == ("monitored", "kill switch on: ops", [])


def test_the_breaker_switches_a_rule_to_monitor_says_so_once_and_waits_for_a_person(world: dict) -> None:
    outcomes = [_run(world, _incident(world, f"10000000000000008{n:02}")).outcome for n in range(23)]
    assert outcomes == ["undone"] * 20 + ["monitored"] * 3
    assert len(world["x"].calls) == 20
    assert RULE in world["policies"].settings().monitored_rules
    ((rule, reason),) = world["alert"].sent
    assert rule == RULE and "21 undos in 10 minutes (limit 20)" in reason
    assert world["metrics"].events.count("breaker") == 1
    # Ten minutes later the count is back under the limit, but the rule stays in monitor.
    world["clock"].now = NOW + timedelta(minutes=11)
    assert _run(world, _incident(world, "1000000000000000899")).outcome == "monitored"
    world["policies"].set_rule_monitored(RULE, monitored=False)  # a person resets it
    assert _run(world, _incident(world, "1000000000000000898")).outcome == "undone"


class _ConcurrentUndo:
    """A DynamoDB client under which another undo is counted right after each one of ours."""

    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb

    def update_item(self, **request: Any) -> Any:
        ours = self._dynamodb.update_item(**request)
        self._dynamodb.update_item(**{**request, "ReturnValues": "NONE"})
        return ours

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dynamodb, name)


def test_undos_counted_at_the_same_moment_get_their_own_places_in_the_count() -> None:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        control = create_tables(dynamodb, ROOT / "template.yaml", prefix="c-")["ControlTable"]
        breaker = CircuitBreaker(_ConcurrentUndo(dynamodb), control, BreakerLimits(max_undos=2))
        # Ours is first, another lands before we look: the first two pass, the third is over the limit.
        assert breaker.count_undo([RULE], NOW) is None  # 1st (the 2nd is the concurrent one)
        trip = breaker.count_undo([RULE], NOW)  # 3rd
        assert trip is not None and trip.count == 3


def test_the_overall_limit_switches_takedown_to_monitor(world: dict) -> None:
    outcomes = [_run(world, _incident(world, f"10000000000000009{n:02}", rule=f"rule.{n}")).outcome for n in range(21)]
    assert outcomes == ["undone"] * 20 + ["monitored"]
    settings = world["policies"].settings()
    assert settings.kill_switch and "circuit breaker" in (settings.kill_switch_reason or "")
    assert world["alert"].sent[0][0] is None


def test_the_breaker_card_is_an_adaptive_card_with_the_way_back() -> None:
    card = build_breaker_card("stream.site.name", "circuit breaker: 21 undos in 10 minutes (limit 20)")
    content = card.body["attachments"][0]["content"]
    assert content["version"] == "1.4"
    assert "takedown breaker reset --rule stream.site.name" in str(content)


def test_an_unreadable_undo_message_fails_alone_with_its_reason(world: dict) -> None:
    queued = QueuedUndo(world["step"], world["incidents"], max_receive_count=5)
    with pytest.raises(UndoMessageError, match="not an undo request: account_id"):
        queued.run('{"incident_id": "x", "account_id": "not-a-number", "requested_at": "2026-11-24T12:00:00Z"}', 1)


def test_a_crash_on_the_last_receive_marks_the_incident_before_the_dead_letter_queue(world: dict) -> None:
    incident = _incident(world, "1000000000000001001")
    world["x"].errors.extend([RuntimeError("boom")] * 2)
    queued = QueuedUndo(world["step"], world["incidents"], max_receive_count=5, clock=world["clock"])
    body = _request(incident).model_dump_json()
    with pytest.raises(RuntimeError):
        queued.run(body, receives=4)
    assert world["incidents"].get(incident.incident_id).status is IncidentStatus.DETECTED
    with pytest.raises(RuntimeError):
        queued.run(body, receives=5)
    stored = world["incidents"].get(incident.incident_id)
    assert stored.status is IncidentStatus.UNDO_FAILED
    assert stored.last_error == "undo step failed on all 5 tries: RuntimeError"


def test_backoff_grows_and_is_capped() -> None:
    assert [retry_delay_seconds(n, 5) for n in (1, 2, 3, 10)] == [5, 10, 20, 900]
