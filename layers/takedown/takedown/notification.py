"""Tell the ops team about an incident in Teams, exactly once per incident.

Driven by the incidents table's stream: every change of an incident arrives here, but a card is
sent only when the incident has reached an outcome (undone, undo failed, monitored) and no card
was sent yet. The incident is read again (consistently) before sending, so retried or reordered
stream records never send a second card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from takedown.clock import Clock, utc_now
from takedown.incidents.model import IncidentStatus, NotificationStatus
from takedown.incidents.store import IncidentStore
from takedown.teams import TeamsError, TeamsNotifier, build_incident_card

REPORTABLE = frozenset({IncidentStatus.UNDONE, IncidentStatus.UNDO_FAILED, IncidentStatus.MONITORED})


class NotificationFailedError(Exception):
    """Teams did not take the card; the stream record is retried, then dead-lettered."""


class NotificationMetrics(Protocol):
    def notified(self) -> None: ...

    def notification_failed(self) -> None: ...


class IncidentNotifier:
    def __init__(
        self,
        incidents: IncidentStore,
        teams: Callable[[], TeamsNotifier],
        metrics: NotificationMetrics,
        review_url: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._incidents = incidents
        self._teams = teams
        self._metrics = metrics
        self._review_url = review_url
        self._clock = clock

    def notify(self, incident_id: str) -> Literal["sent", "skipped"]:
        incident = self._incidents.get(incident_id)
        if incident is None or incident.status not in REPORTABLE or incident.notification is NotificationStatus.SENT:
            return "skipped"
        try:
            self._teams().send(build_incident_card(incident, self._review_url))
        except TeamsError as error:
            self._metrics.notification_failed()
            if incident.notification is NotificationStatus.PENDING:
                self._incidents.record_notify_failed(incident_id, str(error))
            raise NotificationFailedError(f"Teams did not take the card for {incident_id}: {error}") from error
        self._incidents.record_notified(incident_id, self._clock())
        self._metrics.notified()
        return "sent"
