"""The incident record: everything ops need to review a takedown, and every state it went through."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from takedown.evidence import IncidentEvidence
from takedown.judgement.verdict import Category, Contribution
from takedown.links.page import LandingPage
from takedown.post import RepostKind, business_key


class IncidentStatus(StrEnum):
    DETECTED = "detected"  # written before any action on X
    UNDONE = "undone"  # the repost was undone on X
    UNDO_FAILED = "undo_failed"  # X refused or kept failing; needs a human
    MONITORED = "monitored"  # account in monitor mode, or the kill switch is on: recorded only
    RESOLVED = "resolved"  # reviewed by ops: see `resolution`
    RESTORED = "restored"  # a false positive whose repost was put back on X


class Resolution(StrEnum):
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"


_S = IncidentStatus
_ACTED_ON = frozenset({_S.UNDONE, _S.UNDO_FAILED, _S.MONITORED})

# Every allowed change of status: the status reached -> the statuses it may be reached from.
# The store turns each into a DynamoDB condition, so an illegal change is refused by the table.
TRANSITIONS: Mapping[IncidentStatus, frozenset[IncidentStatus]] = {
    _S.UNDONE: frozenset({_S.DETECTED, _S.UNDO_FAILED}),  # an undo after failed tries still counts
    _S.UNDO_FAILED: frozenset({_S.DETECTED, _S.UNDO_FAILED}),  # each failed try is recorded
    _S.MONITORED: frozenset({_S.DETECTED}),
    _S.RESOLVED: _ACTED_ON,  # ops review what was acted on (or deliberately not)
    _S.RESTORED: frozenset({_S.RESOLVED}),  # only a false positive (the store checks the resolution)
}
# What inspection may still act on when an event is delivered again: nothing else is retried.
RETRYABLE = frozenset({_S.DETECTED, _S.UNDO_FAILED})


def can_change(current: IncidentStatus, to: IncidentStatus) -> bool:
    return current in TRANSITIONS.get(to, frozenset())


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # retried from the stream; dead-lettered in the end


class StatusChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: IncidentStatus
    at: datetime
    note: str = ""


class Incident(BaseModel):
    """One takedown (or monitored detection) of one repost by one subscribed account.

    The incident id is derived from the business key, so a redelivered event finds the same record.
    """

    incident_id: str
    account_id: str
    account_handle: str | None = None
    # The account's own post (the retweet or quote); records written before the rename say repost_id.
    post_id: str = Field(validation_alias=AliasChoices("post_id", "repost_id"))
    kind: RepostKind
    source_post_id: str
    source_post_url: str
    source_author_id: str | None = None
    source_author_handle: str | None = None

    category: Category
    score: float
    contributions: list[Contribution]  # every rule, model part and safeguard, as judged
    judgement_versions: dict[str, str] = Field(default_factory=dict)  # rule packs' and model's versions
    text_excerpt: str = ""
    urls: list[str] = Field(default_factory=list)
    # Every link followed for the verdict: its chain, how it ended and the landing page's evidence.
    link_evidence: list[LandingPage] = Field(default_factory=list)
    # The bytes it was judged from, locked in the evidence bucket before any undo (takedown.evidence).
    evidence: IncidentEvidence | None = None

    status: IncidentStatus = IncidentStatus.DETECTED
    resolution: Resolution | None = None
    resolved_by: str | None = None
    history: list[StatusChange] = Field(default_factory=list)
    undo_attempts: int = 0
    # While the undo step waits (X's rate limit, a retry after an outage): when it will try next.
    undo_scheduled_for: datetime | None = None
    last_error: str | None = None
    last_error_permanent: bool = False  # X refused (401/403): retrying cannot help
    notification: NotificationStatus = NotificationStatus.PENDING
    # The follow-up card once ops resolved or restored it: pending until Teams took it.
    followup: NotificationStatus | None = None
    notify_attempts: int = 0
    last_notify_error: str | None = None

    posted_at: datetime | None = None  # X's created_at of the repost
    received_at: datetime  # our webhook received it
    detected_at: datetime  # the verdict was reached and this record written
    undone_at: datetime | None = None
    notified_at: datetime | None = None
    resolved_at: datetime | None = None
    time_to_takedown_ms: int | None = None  # posted_at (or received_at) -> undone_at
    expires_at: int | None = None  # epoch seconds, DynamoDB TTL

    @staticmethod
    def id_for(account_id: str, post_id: str) -> str:
        """The incident id: the business key, as the inspect queue deduplicates on."""
        return business_key(account_id, post_id)

    @property
    def evidence_hashes(self) -> dict[str, str]:
        """Each kept evidence object's SHA-256, by what it is (source, signature, post)."""
        return self.evidence.hashes if self.evidence else {}

    @property
    def post_url(self) -> str:
        """The repost on X (for a retweet X redirects to the original)."""
        return f"https://x.com/i/web/status/{self.post_id}"
