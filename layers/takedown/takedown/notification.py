"""Tell the ops team about an incident in Teams, exactly once per incident.

Driven by the incidents table's stream: every change of an incident arrives here, but a card is
sent only when the incident has reached an outcome (undone, undo failed, monitored) and no card
was sent yet. The incident is read again (consistently) before sending, so retried or reordered
stream records never send a second card.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, Protocol

import boto3
import httpx
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from takedown.incidents.model import IncidentStatus, NotificationStatus
from takedown.incidents.store import IncidentStore
from takedown.settings import SECRET_MAX_AGE_SECONDS, NotifySettings
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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
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


def build_notifier(settings: NotifySettings, metrics: NotificationMetrics) -> IncidentNotifier:
    """Wire the notifier from AWS clients; the Teams URL is re-read from Secrets Manager when it ages."""
    secrets = SecretsProvider(boto3_client=boto3.client("secretsmanager"))
    http = httpx.Client()

    def teams() -> TeamsNotifier:
        secret = secrets.get(settings.teams_webhook_secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
        return TeamsNotifier(http, secret["url"])

    incidents = IncidentStore(boto3.client("dynamodb"), settings.incidents_table)
    return IncidentNotifier(incidents, teams, metrics, settings.review_url)
