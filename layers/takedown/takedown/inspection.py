"""Inspect one candidate repost: classify, write the incident FIRST, decide, act on X, record.

Idempotent on the business key (account id + post id): the incident id is derived from it and
created with a conditional put, so a webhook delivered twice or an SQS message redelivered finds
the existing record and never undoes twice what is already undone. `decide` (takedown.decision)
says what to do; this module only carries it out. `QueuedInspection` runs one queue message:
the attempt count, the final attempt and the backoff before the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from takedown.clock import Clock, utc_now
from takedown.decision import decide
from takedown.incidents.model import Incident
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Verdict
from takedown.links import LandingPage, LinkResolver
from takedown.policy import AccountPolicy, PolicyStore
from takedown.repost import Repost
from takedown.signatures import TrustList
from takedown.webhook.envelopes import PostEvent
from takedown.x_api import XApiError, XRateLimitedError, XUnavailableError

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


class Classifier(Protocol):
    """What the inspector needs from the judgement: a verdict on one post, given what is trusted."""

    def classify(self, post: Repost, trust: TrustList, pages: Sequence[LandingPage] = ()) -> Verdict: ...


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
    return min(base_seconds << max(0, receives - 1), 900)


class Inspector:
    """Runs the whole decision for one candidate. Every collaborator is passed in."""

    def __init__(
        self,
        classifier: Classifier,
        policies: PolicyStore,
        incidents: IncidentStore,
        undoer_for: Callable[[AccountPolicy], Undoer],
        metrics: InspectionMetrics,
        clock: Clock = utc_now,
        links: LinkResolver | None = None,  # follows the post's links when set (LINKS_FOLLOW)
    ) -> None:
        self._classifier = classifier
        self._links = links
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
        pages: list[LandingPage] = []
        if self._links is None:
            verdict = self._classifier.classify(repost, trust)
        else:  # within the links' budget; a link that fails or times out is evidence of nothing
            pages = self._links.resolve_all(repost.urls, trust.trusted_domains) if repost.urls else []
            verdict = self._classifier.classify(repost, trust, pages=pages)
        if not verdict.is_bad:
            return InspectionResult("clean", verdict)

        # Write before acting: the record exists whatever happens next, and a redelivery finds it.
        incident, created = self._incidents.create(self._new_incident(event, repost, verdict, policy.handle, pages))
        if created:
            self._metrics.incident_detected(incident.category)
        action = decide(verdict, policy, settings, existing=None if created else incident)
        if action.kind == "skip":
            return InspectionResult("duplicate", verdict, incident)
        if action.kind == "monitor":
            incident = self._incidents.record_monitored(incident.incident_id, self._clock(), action.reason)
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

    def _new_incident(
        self, event: PostEvent, repost: Repost, verdict: Verdict, handle: str | None, pages: Sequence[LandingPage]
    ) -> Incident:
        category, kind = verdict.category, repost.kind
        if category is None or kind == "post":  # inspect() records only bad verdicts on candidates
            raise ValueError(f"{repost.business_key}: an incident is for a bad verdict on a repost")
        return Incident(
            incident_id=repost.business_key,
            account_id=repost.account_id,
            account_handle=handle,
            post_id=repost.post_id,
            kind=kind,
            source_post_id=repost.source_post_id,
            source_post_url=repost.source_post_url,
            source_author_id=repost.source_author.id if repost.source_author else None,
            source_author_handle=repost.source_author.handle if repost.source_author else None,
            category=category,
            score=verdict.score,
            contributions=list(verdict.contributions),
            judgement_versions=dict(verdict.versions),
            text_excerpt=repost.text[:EXCERPT_CHARS],
            urls=list(repost.urls),
            link_evidence=[page for page in pages if page.outcome != "skipped"],
            posted_at=repost.posted_at,
            received_at=event.received_at,
            detected_at=self._clock(),
        )


class VisibilityDelay(Protocol):
    """Where a postponed message waits: the inspect queue (SQS ChangeMessageVisibility)."""

    def postpone(self, receipt_handle: str, delay_seconds: int) -> None: ...


@dataclass(frozen=True)
class Postponed:
    reason: str
    delay_seconds: int


@dataclass(frozen=True)
class Attempt:
    """One run of one queue message: whose post it was, and what came of it."""

    account_id: str
    post_id: str
    result: InspectionResult | Postponed


class QueuedInspection:
    """One inspect-queue message, attempt by attempt: the last allowed attempt records undo_failed
    before the queue dead-letters the message; a postponed one waits out its delay in the queue."""

    def __init__(
        self, inspector: Inspector, queue: VisibilityDelay, max_receive_count: int, retry_base_seconds: int
    ) -> None:
        self._inspector = inspector
        self._queue = queue
        self._max_receive_count = max_receive_count
        self._retry_base_seconds = retry_base_seconds

    def run(self, body: str, receives: int, receipt_handle: str) -> Attempt:
        """Inspect the candidate in `body`; on RetryLaterError postpone the message and say so."""
        candidate = PostEvent.model_validate_json(body)
        result: InspectionResult | Postponed
        try:
            result = self._inspector.inspect(candidate, final_attempt=receives >= self._max_receive_count)
        except RetryLaterError as retry:
            delay = retry.delay_seconds or retry_delay_seconds(receives, self._retry_base_seconds)
            self._queue.postpone(receipt_handle, delay)
            result = Postponed(str(retry), delay)
        return Attempt(candidate.account_id, candidate.post_id, result)
