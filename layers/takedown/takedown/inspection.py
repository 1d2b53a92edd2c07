"""Inspect one candidate repost: classify, write the incident, decide, and hand any undo on.

Detection is recorded the moment it is made, whatever X is doing: inspection never calls X. A bad
post's incident is written first (idempotent on the business key, account id + post id, with a
conditional put), `decide` (takedown.decision) names the action, its evidence is locked in S3 and
the hashes recorded on the incident (takedown.evidence; if S3 fails the message is retried: nothing
is acted on without evidence), and an undo goes to the undo
queue as an `UndoRequest` for the undo step (takedown.undo), which paces each account around X's
rate limits. A redelivered event, or the same post found by the sweep, finds the existing incident
and its scheduled undo and does nothing twice. `QueuedInspection` runs one inspect-queue message,
through the inspection ledger (takedown.ledger): a post that the webhook and the sweep both bring is
inspected by the first to come, and the second is skipped (outcome `already_inspected`) and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pydantic import ValidationError

from takedown.clock import Clock, utc_now
from takedown.decision import decide
from takedown.evidence import IncidentEvidence, RawSource
from takedown.incidents.model import Incident
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Verdict
from takedown.ledger import LedgerEntry
from takedown.links import LandingPage, LinkResolver
from takedown.policy import PolicyStore
from takedown.post import FoundBy
from takedown.repost import Repost
from takedown.signatures import TrustList
from takedown.undo.request import UndoRequest
from takedown.undo.step import UndoScheduler
from takedown.webhook.envelopes import PostEvent

EXCERPT_CHARS = 280

Outcome = Literal["ignored", "clean", "duplicate", "monitored", "scheduled", "already_inspected"]


@dataclass(frozen=True)
class InspectionResult:
    outcome: Outcome
    verdict: Verdict | None = None
    incident: Incident | None = None


class Classifier(Protocol):
    """What the inspector needs from the judgement: a verdict on one post, given what is trusted."""

    def classify(
        self, post: Repost, trust: TrustList, pages: Sequence[LandingPage] = (), *, explain: bool = True
    ) -> Verdict: ...


class InspectionMetrics(Protocol):
    def incident_detected(self, category: str) -> None: ...


class IncidentEvidenceKeeper(Protocol):
    """Keeps an incident's evidence (takedown.evidence.EvidenceLocker); raises EvidenceError."""

    def keep_for_incident(self, source: RawSource | None, post: bytes, detected_at: datetime) -> IncidentEvidence: ...


class Inspector:
    """Runs the whole decision for one candidate. Every collaborator is passed in."""

    def __init__(
        self,
        classifier: Classifier,
        policies: PolicyStore,
        incidents: IncidentStore,
        undo_queue: UndoScheduler,
        metrics: InspectionMetrics,
        clock: Clock = utc_now,
        links: LinkResolver | None = None,  # follows the post's links when set (LINKS_FOLLOW)
        *,
        evidence: IncidentEvidenceKeeper,
    ) -> None:
        self._classifier = classifier
        self._evidence = evidence
        self._links = links
        self._policies = policies
        self._incidents = incidents
        self._undo_queue = undo_queue
        self._metrics = metrics
        self._clock = clock

    def inspect(self, event: PostEvent) -> InspectionResult:
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
        # Only a bad verdict is recorded (its explanation in full): a clean one needs no feature list.
        if self._links is None:
            verdict = self._classifier.classify(repost, trust, explain=False)
        else:  # within the links' budget; a link that fails or times out is evidence of nothing
            pages = self._links.resolve_all(repost.urls, trust.trusted_domains) if repost.urls else []
            verdict = self._classifier.classify(repost, trust, pages=pages, explain=False)
        if not verdict.is_bad:
            return InspectionResult("clean", verdict)

        # Write before acting: the record exists whatever happens next, and a redelivery finds it.
        incident, created = self._incidents.create(self._new_incident(event, repost, verdict, policy.handle, pages))
        if created:
            self._metrics.incident_detected(incident.category)
        action = decide(verdict, policy, settings, existing=None if created else incident)
        if action.kind == "skip":
            return InspectionResult("duplicate", verdict, incident)
        if incident.evidence is None:  # evidence before action; a retry keeps what a failed try could not
            evidence = self._evidence.keep_for_incident(
                event.raw_source, repost.model_dump_json(indent=2).encode("utf-8"), incident.detected_at
            )
            incident = self._incidents.record_evidence(incident.incident_id, evidence)
        if action.kind == "monitor":
            incident = self._incidents.record_monitored(incident.incident_id, self._clock(), action.reason)
            return InspectionResult("monitored", verdict, incident)
        # Sent before it is recorded: if recording fails, the redelivered message sends it again and
        # the undo step drops the duplicate; the other order could leave an undo nobody sends.
        now = self._clock()
        self._undo_queue.schedule(
            UndoRequest(incident_id=incident.incident_id, account_id=incident.account_id, requested_at=now)
        )
        incident = self._incidents.record_undo_scheduled(incident.incident_id, now, now, "undo queued")
        return InspectionResult("scheduled", verdict, incident)

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


class PoisonMessageError(Exception):
    """An inspect-queue message that is not a candidate: it fails alone (its own message group),
    with this reason, and reaches the dead-letter queue after the queue's receives."""


@dataclass(frozen=True)
class Attempt:
    """One run of one queue message: whose post it was, which path brought it, what came of it.

    `first` is whether this message's inspection is the one the ledger kept; `earlier` the entry of
    the inspection that came first when it was not (the post was already inspected, or another
    message of it finished at the same moment)."""

    account_id: str
    post_id: str
    result: InspectionResult
    found_by: FoundBy = "webhook"
    first: bool = True
    earlier: LedgerEntry | None = None


class Ledger(Protocol):
    """What inspection needs from the inspection ledger (takedown.ledger.InspectionLedger)."""

    def entry(self, key: str) -> LedgerEntry | None: ...

    def record(self, key: str, found_by: FoundBy, outcome: str, at: datetime) -> LedgerEntry | None: ...


class QueuedInspection:
    """One inspect-queue message: read the candidate; inspect it unless the ledger says it was."""

    def __init__(self, inspector: Inspector, ledger: Ledger, clock: Clock = utc_now) -> None:
        self._inspector = inspector
        self._ledger = ledger
        self._clock = clock

    def run(self, body: str) -> Attempt:
        try:
            candidate = PostEvent.model_validate_json(body)
        except ValidationError as error:
            first = error.errors(include_input=False, include_url=False)[0]
            where = ".".join(map(str, first["loc"])) or "body"
            raise PoisonMessageError(f"not a candidate post: {where}: {first['msg']}") from None
        key, found_by = candidate.business_key, candidate.found_by
        if (earlier := self._ledger.entry(key)) is not None:
            skipped = InspectionResult("already_inspected")
            return Attempt(candidate.account_id, candidate.post_id, skipped, found_by, first=False, earlier=earlier)
        result = self._inspector.inspect(candidate)
        if result.outcome == "ignored":  # not a candidate: nothing was inspected, nothing to remember
            return Attempt(candidate.account_id, candidate.post_id, result, found_by)
        earlier = self._ledger.record(key, found_by, result.outcome, self._clock())
        return Attempt(candidate.account_id, candidate.post_id, result, found_by, earlier is None, earlier)
