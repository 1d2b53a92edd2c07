"""Inspect one candidate repost: classify, decide, write the incident FIRST, act on X, record.

Idempotent on the business key (account id + post id): the incident id is derived from it and
created with a conditional put, so a webhook delivered twice or an SQS message redelivered finds
the existing record and never undoes twice what is already undone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

import boto3
import httpx
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from takedown.incidents.model import Incident, IncidentStatus
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Verdict
from takedown.policy import AccountPolicy, PolicyStore, decide_action
from takedown.repost import Repost
from takedown.settings import SECRET_MAX_AGE_SECONDS, InspectSettings
from takedown.signatures import SignatureEngine, TrustList
from takedown.webhook.envelopes import PostEvent
from takedown.x_api import XApiError, XClient, XCredentials, XRateLimitedError, XUnavailableError

EXCERPT_CHARS = 280

Outcome = Literal["ignored", "clean", "duplicate", "monitored", "undone", "undo_failed"]


class RetryLaterError(Exception):
    """The candidate must be inspected again after `delay_seconds` (rate limit, X unavailable)."""

    def __init__(self, reason: str, delay_seconds: int) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds


@dataclass(frozen=True)
class InspectionResult:
    outcome: Outcome
    verdict: Verdict | None = None
    incident: Incident | None = None


class Undoer(Protocol):
    """What the inspector needs from X for one account."""

    def unretweet(self, account_id: str, source_post_id: str) -> object: ...

    def delete_post(self, post_id: str) -> object: ...


class InspectionMetrics(Protocol):
    def incident_detected(self, category: str) -> None: ...

    def undone(self, time_to_takedown_ms: int) -> None: ...

    def undo_failed(self) -> None: ...


def retry_delay_seconds(receives: int, base_seconds: int = 5) -> int:
    """Exponential backoff for a transient X failure: base, 2×base, 4×base... capped at 15 minutes."""
    return min(base_seconds * 2 ** max(0, receives - 1), 900)


class Inspector:
    """Runs the whole decision for one candidate. Every collaborator is passed in."""

    def __init__(
        self,
        engine: SignatureEngine,
        policies: PolicyStore,
        incidents: IncidentStore,
        undoer_for: Callable[[AccountPolicy], Undoer],
        metrics: InspectionMetrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._policies = policies
        self._incidents = incidents
        self._undoer_for = undoer_for
        self._metrics = metrics
        self._clock = clock

    def inspect(self, event: PostEvent, final_attempt: bool = False) -> InspectionResult:
        repost = Repost.from_event(event)
        if not repost.is_candidate:
            return InspectionResult("ignored")
        policy = self._policies.policy_for(repost.account_id)
        settings = self._policies.settings()
        trust = TrustList(
            trusted_domains=frozenset(policy.trusted_domains) | frozenset(settings.trusted_domains),
            trusted_author_ids=frozenset(policy.trusted_author_ids),
        )
        verdict = self._engine.classify(repost, trust)
        if not verdict.is_bad:
            return InspectionResult("clean", verdict)

        incident, created = self._incidents.create(self._new_incident(event, repost, verdict, policy.handle))
        if created:
            self._metrics.incident_detected(incident.category)
        elif incident.status not in (IncidentStatus.DETECTED, IncidentStatus.UNDO_FAILED) or (
            incident.last_error_permanent
        ):
            return InspectionResult("duplicate", verdict, incident)

        if decide_action(True, policy, settings) != "undo":
            note = "kill switch on" if settings.kill_switch else f"account in {policy.mode} mode"
            incident = self._incidents.record_monitored(incident.incident_id, self._clock(), note)
            return InspectionResult("monitored", verdict, incident)
        return self._undo(repost, verdict, incident, policy, final_attempt)

    def _undo(
        self, repost: Repost, verdict: Verdict, incident: Incident, policy: AccountPolicy, final_attempt: bool
    ) -> InspectionResult:
        undoer = self._undoer_for(policy)
        self._incidents.record_undo_attempt(incident.incident_id)
        try:
            if repost.kind == "retweet":
                undoer.unretweet(repost.account_id, repost.source_post_id)
            else:
                undoer.delete_post(repost.post_id)
        except XRateLimitedError as error:
            delay = max(1, int((error.reset_at - self._clock()).total_seconds()) + 1)
            raise RetryLaterError("rate limited by X", delay) from error
        except XUnavailableError as error:
            if final_attempt:
                self._metrics.undo_failed()
                self._incidents.record_undo_failed(
                    incident.incident_id, self._clock(), f"X unavailable: {error}", permanent=False
                )
            raise RetryLaterError("X unavailable", 0) from error
        except XApiError as error:  # 401/403 and other refusals: retrying cannot help
            self._metrics.undo_failed()
            incident = self._incidents.record_undo_failed(
                incident.incident_id, self._clock(), f"X refused: {error}", permanent=True
            )
            return InspectionResult("undo_failed", verdict, incident)
        undone_at = self._clock()
        started = min(filter(None, (repost.posted_at, incident.received_at)))
        time_to_takedown_ms = int((undone_at - started) / timedelta(milliseconds=1))
        incident = self._incidents.record_undone(incident.incident_id, undone_at, time_to_takedown_ms)
        self._metrics.undone(time_to_takedown_ms)
        return InspectionResult("undone", verdict, incident)

    def _new_incident(self, event: PostEvent, repost: Repost, verdict: Verdict, handle: str | None) -> Incident:
        assert verdict.category is not None
        return Incident(
            incident_id=repost.business_key,
            account_id=repost.account_id,
            account_handle=handle,
            post_id=repost.post_id,
            kind=repost.kind,
            source_post_id=repost.source_post_id,
            source_post_url=repost.source_post_url,
            source_author_id=repost.source_author.id if repost.source_author else None,
            source_author_handle=repost.source_author.handle if repost.source_author else None,
            category=verdict.category,
            score=verdict.score,
            contributions=list(verdict.contributions),
            judgement_versions=dict(verdict.versions),
            text_excerpt=repost.text[:EXCERPT_CHARS],
            urls=list(repost.urls),
            posted_at=repost.posted_at,
            received_at=event.received_at,
            detected_at=self._clock(),
        )


def x_client_factory(
    consumer_secret_id: str, account_secret_prefix: str, base_url: str
) -> Callable[[AccountPolicy], XClient]:
    """X clients per account: the app's consumer credentials plus the account's user tokens, both
    from Secrets Manager (cached, re-read when they age so that rotations apply without a deploy)."""
    secrets = SecretsProvider(boto3_client=boto3.client("secretsmanager"))
    http = httpx.Client()

    def client_for(policy: AccountPolicy) -> XClient:
        app = secrets.get(consumer_secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
        secret_id = policy.credentials_secret or f"{account_secret_prefix}{policy.account_id}"
        user = secrets.get(secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
        return XClient(http, XCredentials.from_secret_string(json.dumps({**app, **user})), base_url=base_url)

    return client_for


def build_inspector(settings: InspectSettings, metrics: InspectionMetrics) -> Inspector:
    """Wire the inspector from AWS clients, once per cold start."""
    dynamodb = boto3.client("dynamodb")
    return Inspector(
        engine=SignatureEngine.load_default(),
        policies=PolicyStore(dynamodb, settings.accounts_table),
        incidents=IncidentStore(dynamodb, settings.incidents_table, retention_days=settings.incident_retention_days),
        undoer_for=x_client_factory(
            settings.x_consumer_secret_id, settings.x_account_secret_prefix, settings.x_api_base_url
        ),
        metrics=metrics,
    )
