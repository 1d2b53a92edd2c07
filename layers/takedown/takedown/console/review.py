"""Reviewing incidents: the queue, and the actions a reviewer takes on one incident.

Each action is a conditional change in the incidents table (see takedown.incidents.store), so a
double click, two reviewers at once or a stale page can never act twice; every refusal is a
ReviewError whose message says what happened in words.

Restoring puts the repost back on X first and records it after: from `undone` the incident is first
resolved as a false positive (with the reason), then retweeted, then marked `restored`. If X refuses,
the incident stays a resolved false positive and the same button tries again: nothing is stranded.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from botocore.exceptions import ClientError

from takedown.clock import Clock, utc_now
from takedown.console.accounts import AccountAdmin, AccountChangeError, TrustKind
from takedown.incidents.exceptions import IncidentNotFoundError, IncidentTransitionError
from takedown.incidents.model import Incident, IncidentStatus, Resolution
from takedown.incidents.store import IncidentPage, IncidentStore
from takedown.x_api import XApiError, XCredentialsError

_S = IncidentStatus
# The review queue, most urgent first: a human must act, then what was held back, then what was undone.
QUEUE_ORDER = (_S.UNDO_FAILED, _S.MONITORED, _S.UNDONE)
SINCE_CHOICES: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
PAGE_SIZE = 20
_MAX_REASON = 500


class ReviewError(Exception):
    """An action that was not taken; the message says why, in words."""


class IncidentMissingError(ReviewError):
    """There is no incident with that id."""


class ReviewConflictError(ReviewError):
    """The incident's state does not allow it (already resolved or restored, or changed meanwhile)."""


class RestoreFailedError(ReviewError):
    """X did not retweet it (`cause`); the incident is a resolved false positive: restoring again retries."""

    def __init__(self, message: str, cause: XApiError | XCredentialsError) -> None:
        super().__init__(message)
        self.cause = cause


class Retweeter(Protocol):
    def retweet(self, account_id: str, post_id: str) -> object: ...


@dataclass(frozen=True)
class QueueFilters:
    account_id: str | None = None
    category: str | None = None
    status: IncidentStatus | None = None
    since: str = "7d"
    next_token: str | None = None

    def since_time(self, now: datetime) -> datetime | None:
        window = SINCE_CHOICES.get(self.since, SINCE_CHOICES["7d"])
        return now - window if window else None


@dataclass(frozen=True)
class QueueSection:
    status: IncidentStatus
    incidents: list[Incident]
    next_token: str | None


@dataclass(frozen=True)
class ReviewQueue:
    sections: list[QueueSection] = field(default_factory=list)


class ReviewDesk:
    """What the console does with incidents. `retweeter_for(account_id)` gives the account's X client;
    `accounts` is needed only to trust an author or domain (`takedown incidents resolve` has none)."""

    def __init__(
        self,
        incidents: IncidentStore,
        accounts: AccountAdmin | None,
        retweeter_for: Callable[[str], Retweeter],
        clock: Clock = utc_now,
    ) -> None:
        self._incidents = incidents
        self._accounts = accounts
        self._retweeter_for = retweeter_for
        self._clock = clock

    # ------------------------------------------------------------------ reading
    def queue(self, filters: QueueFilters) -> ReviewQueue:
        """One section per status (undo_failed, monitored, undone; or the one asked for), each read
        newest first through the table's by_status index, or by_account when an account is chosen."""
        try:
            return self._queue(filters)
        except (ValueError, binascii.Error, ClientError) as error:
            if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") != "ValidationException":
                raise
            raise ReviewError("that page link is no longer valid: start again from the first page") from None

    def _queue(self, filters: QueueFilters) -> ReviewQueue:
        since = filters.since_time(self._clock())
        statuses = (filters.status,) if filters.status else QUEUE_ORDER
        sections: list[QueueSection] = []
        if filters.account_id:
            page = self._incidents.list_by_account(
                filters.account_id, since=since, limit=PAGE_SIZE * 3, next_token=filters.next_token
            )
            for status in statuses:
                chosen = _filtered(page, filters.category, status)
                sections.append(QueueSection(status, chosen, page.next_token))
            return ReviewQueue(sections)
        for status in statuses:
            page = self._incidents.list_by_status(
                status, since=since, limit=PAGE_SIZE, next_token=filters.next_token if filters.status else None
            )
            sections.append(QueueSection(status, _filtered(page, filters.category, status), page.next_token))
        return ReviewQueue(sections)

    def incident(self, incident_id: str) -> Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise IncidentMissingError(f"there is no incident {incident_id}")
        return incident

    # ------------------------------------------------------------------ actions
    def confirm(self, incident_id: str, *, by: str) -> Incident:
        """A right call: the incident is resolved as confirmed."""
        return self._resolve(self.incident(incident_id), Resolution.CONFIRMED, by, "")

    def false_positive(self, incident_id: str, *, by: str, reason: str) -> Incident:
        """A wrong call: resolved as a false positive, with the reason (required)."""
        return self._resolve(self.incident(incident_id), Resolution.FALSE_POSITIVE, by, _reason(reason))

    def restore(self, incident_id: str, *, by: str, reason: str = "") -> Incident:
        """Put the repost back on X. Only from `undone` (then `reason` is required: it becomes a
        false positive first) or from a resolved false positive; never twice."""
        incident = self.incident(incident_id)
        if incident.kind != "retweet":
            raise ReviewConflictError(
                "a quote post was deleted on X and cannot be put back: ask the account to post it again"
            )
        if incident.status is _S.UNDONE:
            incident = self._resolve(incident, Resolution.FALSE_POSITIVE, by, _reason(reason))
        elif incident.status is _S.RESTORED:
            raise ReviewConflictError("this repost was already restored on X: nothing was done")
        elif incident.status is not _S.RESOLVED or incident.resolution is not Resolution.FALSE_POSITIVE:
            raise ReviewConflictError(
                f"only an undone repost or a resolved false positive can be restored; this incident is "
                f"{_status_words(incident)}"
            )
        try:
            self._retweeter_for(incident.account_id).retweet(incident.account_id, incident.source_post_id)
        except (XApiError, XCredentialsError) as error:
            raise RestoreFailedError(
                f"X did not retweet it ({error}); the incident is marked a false positive and you can try "
                "restoring again",
                error,
            ) from None
        try:
            return self._incidents.record_restored(incident.incident_id, self._clock())
        except IncidentTransitionError:
            raise ReviewConflictError(
                "someone else restored this repost at the same moment: it is back on X once"
            ) from None

    def trust(self, incident_id: str, kind: TrustKind, value: str, *, by: str, reason: str) -> None:
        """Add the incident's author or one of its domains to its account's trusted list."""
        incident = self.incident(incident_id)
        if kind == "author" and value != incident.source_author_id:
            raise ReviewError("only this incident's original author can be trusted from here")
        if self._accounts is None:
            raise ReviewError("the accounts table is not configured here: nothing can be trusted")
        try:
            self._accounts.set_trusted(
                incident.account_id,
                kind,
                value,
                trusted=True,
                by=by,
                reason=f"{reason} (from incident {incident.incident_id})" if reason.strip() else "",
            )
        except AccountChangeError as error:
            raise ReviewError(str(error)) from None

    def _resolve(self, incident: Incident, resolution: Resolution, by: str, reason: str) -> Incident:
        try:
            return self._incidents.resolve(incident.incident_id, resolution, by, self._clock(), reason=reason)
        except IncidentNotFoundError:
            raise IncidentMissingError(f"there is no incident {incident.incident_id}") from None
        except IncidentTransitionError:
            current = self._incidents.get(incident.incident_id) or incident
            raise ReviewConflictError(
                f"this incident is {_status_words(current)} now, so it cannot be marked "
                f"{resolution.value.replace('_', ' ')}: reload to see what changed"
            ) from None


def _filtered(page: IncidentPage, category: str | None, status: IncidentStatus) -> list[Incident]:
    return [
        incident
        for incident in page.incidents
        if incident.status is status and (not category or incident.category == category)
    ]


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewError("say why it is a false positive: the reason is required")
    if len(reason) > _MAX_REASON:
        raise ReviewError(f"the reason is too long ({len(reason)} characters; at most {_MAX_REASON})")
    return reason


def _status_words(incident: Incident) -> str:
    if incident.status is _S.RESOLVED and incident.resolution:
        return f"resolved as {incident.resolution.value.replace('_', ' ')}"
    return incident.status.value.replace("_", " ")
