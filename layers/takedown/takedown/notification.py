"""Tell the ops team about an incident in Teams: one card when it reaches an outcome, one follow-up
when ops resolve or restore it.

Driven by the incidents table's stream: every change of an incident arrives here, but a card is
sent only when the incident has reached an outcome (undone, undo failed, monitored) and no card
was sent yet, and a follow-up only when it was resolved or restored and that follow-up is pending.
The incident is read again (consistently) before sending, so retried or reordered stream records
never send a second card.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import tzinfo
from typing import Literal, Protocol
from urllib.parse import quote

from takedown.clock import Clock, utc_now
from takedown.incidents.exceptions import IncidentTransitionError
from takedown.incidents.model import Incident, IncidentStatus, NotificationStatus
from takedown.incidents.store import IncidentStore
from takedown.readable import time_zone
from takedown.teams import TeamsError, TeamsNotifier, build_incident_card

REPORTABLE = frozenset({IncidentStatus.UNDONE, IncidentStatus.UNDO_FAILED, IncidentStatus.MONITORED})
FOLLOWED_UP = frozenset({IncidentStatus.RESOLVED, IncidentStatus.RESTORED})


class NotificationFailedError(Exception):
    """Teams did not take the card; the stream record is retried, then dead-lettered."""


class NotificationMetrics(Protocol):
    def notified(self) -> None: ...

    def notification_failed(self) -> None: ...


def incident_url(console_url: str, incident_id: str) -> str:
    """The incident's page in the review console."""
    return f"{console_url.rstrip('/')}/incidents/{quote(incident_id, safe='')}"


class IncidentNotifier:
    def __init__(
        self,
        incidents: IncidentStore,
        teams: Callable[[], TeamsNotifier],
        metrics: NotificationMetrics,
        console_url: str | None = None,
        clock: Clock = utc_now,
        *,
        zone: tzinfo | None = None,
        account_name: Callable[[str], str | None] | None = None,
    ) -> None:
        self._incidents = incidents
        self._teams = teams
        self._metrics = metrics
        self._console_url = console_url
        self._clock = clock
        self._zone = zone or time_zone(None)
        self._account_name = account_name

    def notify(self, incident_id: str) -> Literal["sent", "skipped"]:
        incident = self._incidents.get(incident_id)
        if incident is None:
            return "skipped"
        if incident.status in FOLLOWED_UP and incident.followup is NotificationStatus.PENDING:
            try:
                self._send(incident)
            except TeamsError as error:
                self._metrics.notification_failed()
                raise NotificationFailedError(f"Teams did not take the follow-up for {incident_id}: {error}") from error
            # Restored meanwhile: that change's own stream record sends the newer follow-up.
            with suppress(IncidentTransitionError):
                self._incidents.record_followup_sent(incident_id, incident.status)
            self._metrics.notified()
            return "sent"
        if incident.status not in REPORTABLE or incident.notification is NotificationStatus.SENT:
            return "skipped"
        try:
            self._send(incident)
        except TeamsError as error:
            self._metrics.notification_failed()
            if incident.notification is NotificationStatus.PENDING:
                self._incidents.record_notify_failed(incident_id, str(error))
            raise NotificationFailedError(f"Teams did not take the card for {incident_id}: {error}") from error
        self._incidents.record_notified(incident_id, self._clock())
        self._metrics.notified()
        return "sent"

    def _send(self, incident: Incident) -> None:
        review_url = incident_url(self._console_url, incident.incident_id) if self._console_url else None
        name = self._account_name(incident.account_id) if self._account_name else None
        self._teams().send(build_incident_card(incident, review_url, zone=self._zone, account_name=name))
