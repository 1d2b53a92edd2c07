"""Carry out one scheduled undo on X, and record what came of it on the incident.

`UndoStep.run` is one try: it re-decides (`decide(..., undo_step=True)`: the kill switch or a
breaker thrown while the undo waited still holds), reserves a call of the account's X budget,
counts the undo in the circuit breaker, calls X and records the outcome. Waiting is never done
in place: a spent budget or a transient failure schedules the request again (a delayed message)
and writes `undo scheduled at 12:31:05 UTC — X rate limit` into the incident's history. Failures
that need a human (missing or refused credentials, an unexpected answer, X still failing on the
last allowed try) mark the incident `undo_failed` with the reason, which sends its Teams card.

`QueuedUndo` runs one queue message: a message that cannot be read fails alone with its reason,
and a try that crashes on the queue's last receive marks the incident before the message goes to
the dead-letter queue.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import ValidationError

from takedown.clock import Clock, utc_now
from takedown.decision import acting_rules, decide
from takedown.incidents.exceptions import IncidentTransitionError
from takedown.incidents.model import Incident
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Verdict
from takedown.policy import AccountPolicy, PolicyStore
from takedown.undo.breaker import BreakerLimits, CircuitBreaker, Trip
from takedown.undo.pacing import XRateBudget
from takedown.undo.request import UndoRequest
from takedown.x_api import (
    UndoOutcome,
    XAction,
    XApiError,
    XAuthError,
    XCredentialsError,
    XCreditsError,
    XRateLimitedError,
    XUnavailableError,
)

UndoOutcomeKind = Literal["undone", "scheduled", "monitored", "undo_failed", "skipped"]
DEFAULT_MAX_FAILURES = 8


class Undoer(Protocol):
    """What the undo step needs from X for one account."""

    def unretweet(self, account_id: str, source_post_id: str) -> UndoOutcome: ...

    def delete_post(self, post_id: str) -> UndoOutcome: ...


class UndoScheduler(Protocol):
    def schedule(self, request: UndoRequest, delay_seconds: int = 0) -> None: ...


class BreakerAlert(Protocol):
    """Tells a person that the breaker switched a rule (or Takedown) to monitor."""

    def tripped(self, rule: str | None, reason: str) -> None: ...


class UndoMetrics(Protocol):
    def undone(self, time_to_takedown_ms: int) -> None: ...

    def undo_scheduled(self, reason: str) -> None: ...

    def undo_failed(self, reason: str) -> None: ...

    def breaker_tripped(self) -> None: ...


@dataclass(frozen=True)
class UndoResult:
    outcome: UndoOutcomeKind
    reason: str
    incident: Incident | None = None


def retry_delay_seconds(failures: int, base_seconds: int = 5) -> int:
    """Exponential backoff after a transient X failure: base, 2×base, 4×base... capped at 15 minutes."""
    return min(base_seconds << max(0, failures - 1), 900)


def verdict_of(incident: Incident) -> Verdict:
    """The verdict as recorded on the incident: what the undo step re-decides on."""
    return Verdict(
        category=incident.category,
        score=incident.score,
        contributions=tuple(incident.contributions),
        versions=dict(incident.judgement_versions),
    )


class UndoStep:
    def __init__(
        self,
        incidents: IncidentStore,
        policies: PolicyStore,
        undoer_for: Callable[[AccountPolicy], Undoer],
        scheduler: UndoScheduler,
        budget: XRateBudget,
        breaker: CircuitBreaker,
        alert: BreakerAlert,
        metrics: UndoMetrics,
        clock: Clock = utc_now,
        max_failures: int = DEFAULT_MAX_FAILURES,
        retry_base_seconds: int = 5,
    ) -> None:
        self._incidents = incidents
        self._policies = policies
        self._undoer_for = undoer_for
        self._scheduler = scheduler
        self._budget = budget
        self._breaker = breaker
        self._alert = alert
        self._metrics = metrics
        self._clock = clock
        self._max_failures = max_failures
        self._retry_base_seconds = retry_base_seconds

    def run(self, request: UndoRequest) -> UndoResult:
        incident = self._incidents.get(request.incident_id)
        if incident is None:
            return UndoResult("skipped", "incident not found (expired or deleted)")
        policy = self._policies.policy_for(incident.account_id)
        verdict = verdict_of(incident)
        action = decide(verdict, policy, self._policies.settings(), existing=incident, undo_step=True)
        if action.kind in ("skip", "ignore"):
            return UndoResult("skipped", action.reason, incident)
        if action.kind == "monitor":
            return self._monitored(incident, action.reason)

        now = self._clock()
        x_action: XAction = "unretweet" if incident.kind == "retweet" else "delete_post"
        wait_until = self._budget.reserve(incident.account_id, x_action, now)
        if wait_until is not None:
            return self._schedule(incident, request, wait_until, "X rate limit")
        if incident.undo_attempts == 0 and (trip := self._breaker.count_undo(acting_rules(verdict), now)):
            return self._trip(incident, trip)
        try:
            undoer = self._undoer_for(policy)
        except XCredentialsError as error:
            return self._failed(incident, f"X credentials missing or unusable: {error}", permanent=True)
        incident = self._incidents.record_undo_attempt(incident.incident_id)
        try:
            if incident.kind == "retweet":
                outcome = undoer.unretweet(incident.account_id, incident.source_post_id)
            else:
                outcome = undoer.delete_post(incident.post_id)
        except XRateLimitedError as error:
            self._budget.record(incident.account_id, x_action, error.rate_limit)
            return self._retry(incident, request, error.reset_at, "X rate limit", error)
        except XUnavailableError as error:
            self._budget.record(incident.account_id, x_action, error.rate_limit)
            delay = retry_delay_seconds(request.failures + 1, self._retry_base_seconds)
            return self._retry(incident, request, now + timedelta(seconds=delay), "X unavailable", error)
        except XAuthError as error:
            return self._failed(incident, f"X refused the account's credentials: {error}", permanent=True)
        except XCreditsError as error:  # the app's pay-per-use credits ran out: a person tops them up
            return self._failed(incident, f"X credits exhausted: {error}", permanent=True)
        except XApiError as error:  # any other refusal, or an answer that does not say it took effect
            return self._failed(incident, f"unexpected X answer: {error}", permanent=True)
        self._budget.record(incident.account_id, x_action, outcome.rate_limit)
        return self._undone(incident)

    def _undone(self, incident: Incident) -> UndoResult:
        undone_at = self._clock()
        started = min(filter(None, (incident.posted_at, incident.received_at)))
        time_to_takedown_ms = int((undone_at - started) / timedelta(milliseconds=1))
        try:
            incident = self._incidents.record_undone(incident.incident_id, undone_at, time_to_takedown_ms)
        except IncidentTransitionError as error:  # a duplicate request undid it first: X is idempotent
            return UndoResult("skipped", str(error))
        self._metrics.undone(time_to_takedown_ms)
        return UndoResult("undone", "undone on X", incident)

    def _retry(self, incident: Incident, request: UndoRequest, at: datetime, why: str, error: XApiError) -> UndoResult:
        failures = request.failures + 1
        if failures >= self._max_failures:
            return self._failed(incident, f"{why} on all {failures} tries: {error}", permanent=False)
        return self._schedule(incident, request.model_copy(update={"failures": failures}), at, why)

    def _schedule(self, incident: Incident, request: UndoRequest, at: datetime, why: str) -> UndoResult:
        now = self._clock()
        note = f"undo scheduled at {at:%H:%M:%S} UTC — {why}"
        # Recorded before it is sent: if the send fails, this message is received again and retries.
        with contextlib.suppress(IncidentTransitionError):  # an undo_failed one retried: it says so already
            incident = self._incidents.record_undo_scheduled(incident.incident_id, now, at, note)
        self._scheduler.schedule(request, max(1, math.ceil((at - now).total_seconds())))
        self._metrics.undo_scheduled(why)
        return UndoResult("scheduled", note, incident)

    def _failed(self, incident: Incident, reason: str, *, permanent: bool) -> UndoResult:
        self._metrics.undo_failed(reason.split(":", 1)[0])
        incident = self._incidents.record_undo_failed(incident.incident_id, self._clock(), reason, permanent=permanent)
        return UndoResult("undo_failed", reason, incident)

    def _monitored(self, incident: Incident, reason: str) -> UndoResult:
        try:
            incident = self._incidents.record_monitored(incident.incident_id, self._clock(), reason)
        except IncidentTransitionError:  # an earlier try failed: it stays undo_failed for a person
            return UndoResult("skipped", reason, incident)
        return UndoResult("monitored", reason, incident)

    def _trip(self, incident: Incident, trip: Trip) -> UndoResult:
        limits: BreakerLimits = self._breaker.limits
        what = f"rule {trip.rule}" if trip.rule else "Takedown"
        reason = f"circuit breaker: {limits.describe(trip.count)}; {what} switched to monitor until a person resets it"
        settings = self._policies.settings()
        already = trip.rule in settings.monitored_rules if trip.rule else settings.kill_switch
        if not already:
            if trip.rule:
                self._policies.set_rule_monitored(trip.rule, monitored=True)
            else:
                self._policies.set_kill_switch(True, reason=reason)
            self._metrics.breaker_tripped()
            self._alert.tripped(trip.rule, reason)
        return self._monitored(incident, reason)


class UndoMessageError(Exception):
    """An undo-queue message that cannot be read: it fails alone, with this reason."""


class QueuedUndo:
    """One undo-queue message. On the queue's last receive a crash marks the incident undo_failed
    first, so nothing reaches the dead-letter queue without its incident saying so."""

    def __init__(
        self, step: UndoStep, incidents: IncidentStore, max_receive_count: int, clock: Clock = utc_now
    ) -> None:
        self._step = step
        self._incidents = incidents
        self._max_receive_count = max_receive_count
        self._clock = clock

    def run(self, body: str, receives: int) -> UndoResult:
        try:
            request = UndoRequest.model_validate_json(body)
        except ValidationError as error:
            first = error.errors(include_input=False, include_url=False)[0]
            raise UndoMessageError(f"not an undo request: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        try:
            return self._step.run(request)
        except Exception as error:
            if receives >= self._max_receive_count:
                reason = f"undo step failed on all {receives} tries: {type(error).__name__}"
                # Already undone, failed or resolved: then the incident says so already.
                with contextlib.suppress(IncidentTransitionError):
                    self._incidents.record_undo_failed(request.incident_id, self._clock(), reason, permanent=False)
            raise
