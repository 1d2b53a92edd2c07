"""IncidentNotifier: one card per reportable incident, on moto's DynamoDB and a Teams webhook behind
httpx's MockTransport; a failure is recorded once and raised, so the stream record is retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import boto3
import httpx
import pytest
from moto import mock_aws

from takedown.incidents.exceptions import IncidentTransitionError
from takedown.incidents.model import Incident, IncidentStatus, NotificationStatus, Resolution
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Contribution
from takedown.notification import IncidentNotifier, NotificationFailedError
from takedown.teams import TeamsNotifier
from takedown_local.template import create_tables
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SENT_AT = NOW + timedelta(seconds=2)
WEBHOOK_SIG = "sigNotifierMustNotLeak42"
WEBHOOK_URL = f"https://example.api.powerplatform.com/workflows/1/triggers/manual/paths/invoke?sig={WEBHOOK_SIG}"
REVIEW_URL = "https://takedown.example.org/incidents/1-2"


@dataclass
class FakeTeams:
    """The Workflows webhook: answers with the scripted statuses first, then 202; keeps every body."""

    statuses: list[int] = field(default_factory=list)
    bodies: list[dict[str, object]] = field(default_factory=list)
    clients_built: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(self.statuses.pop(0) if self.statuses else 202)

    def notifier(self) -> TeamsNotifier:
        self.clients_built += 1
        return TeamsNotifier(httpx.Client(transport=httpx.MockTransport(self.handle)), WEBHOOK_URL)


class Metrics:
    def __init__(self) -> None:
        self.events: list[str] = []

    def notified(self) -> None:
        self.events.append("notified")

    def notification_failed(self) -> None:
        self.events.append("notification_failed")


@dataclass
class World:
    store: IncidentStore
    teams: FakeTeams
    metrics: Metrics
    notifier: IncidentNotifier


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        table = create_tables(dynamodb, ROOT / "template.yaml", prefix="n-")["IncidentsTable"]
        store = IncidentStore(dynamodb, table, clock=lambda: NOW)
        teams, metrics = FakeTeams(), Metrics()
        notifier = IncidentNotifier(store, teams.notifier, metrics, REVIEW_URL, clock=lambda: SENT_AT)
        yield World(store, teams, metrics, notifier)


def detected(world: World, post_id: str = "1349969223154606081") -> Incident:
    incident, _ = world.store.create(
        Incident(
            incident_id=Incident.id_for("1072250532645998596", post_id),
            account_id="1072250532645998596",
            post_id=post_id,
            kind="retweet",
            source_post_id="266367358078169089",
            source_post_url="https://x.com/Twitter/status/266367358078169089",
            category="illegal_stream",
            score=0.97,
            contributions=[Contribution(rule="stream-domain", version="1", evidence="crackstreams.example")],
            received_at=NOW,
            detected_at=NOW,
        )
    )
    return incident


def undone(world: World) -> Incident:
    return world.store.record_undone(detected(world).incident_id, NOW + timedelta(seconds=1), 1000)


@pytest.mark.parametrize("outcome", ["undone", "undo_failed", "monitored"])
def test_a_reportable_incident_gets_one_card_and_is_marked_sent(world: World, outcome: str) -> None:
    incident = detected(world)
    if outcome == "undone":
        world.store.record_undone(incident.incident_id, NOW, 1000)
    elif outcome == "undo_failed":
        world.store.record_undo_failed(incident.incident_id, NOW, "X refused: HTTP 401", permanent=True)
    else:
        world.store.record_monitored(incident.incident_id, NOW, "account in monitor mode")

    assert world.notifier.notify(incident.incident_id) == "sent"

    (body,) = world.teams.bodies
    assert incident.incident_id in json.dumps(body) and REVIEW_URL in json.dumps(body)
    stored = world.store.get(incident.incident_id)
    assert stored is not None
    assert (stored.notification, stored.notified_at, stored.notify_attempts) == (NotificationStatus.SENT, SENT_AT, 1)
    assert world.metrics.events == ["notified"]


def test_a_repeated_stream_record_sends_no_second_card(world: World) -> None:
    incident = undone(world)
    assert world.notifier.notify(incident.incident_id) == "sent"
    assert world.notifier.notify(incident.incident_id) == "skipped"
    assert len(world.teams.bodies) == 1
    assert world.metrics.events == ["notified"]


def test_what_is_not_reportable_is_skipped_without_reading_the_webhook_secret(world: World) -> None:
    pending = detected(world, "1000000000000000001")
    resolved = undone(world)
    world.store.resolve(resolved.incident_id, Resolution.CONFIRMED, "ops@example.org", NOW)
    assert world.notifier.notify(resolved.incident_id) == "sent"  # its follow-up, once
    world.teams.bodies.clear()
    world.teams.clients_built = 0
    world.metrics.events.clear()
    for incident_id in (pending.incident_id, resolved.incident_id, "1-404"):
        assert world.notifier.notify(incident_id) == "skipped"
    assert (world.teams.bodies, world.teams.clients_built, world.metrics.events) == ([], 0, [])


def test_resolving_and_restoring_each_send_one_follow_up(world: World) -> None:
    incident = undone(world)
    assert world.notifier.notify(incident.incident_id) == "sent"
    world.store.resolve(incident.incident_id, Resolution.FALSE_POSITIVE, "ops@example.org", NOW, reason="a charity")
    assert world.notifier.notify(incident.incident_id) == "sent"
    assert world.notifier.notify(incident.incident_id) == "skipped"  # the stream record again
    world.store.record_restored(incident.incident_id, NOW)
    assert world.notifier.notify(incident.incident_id) == "sent"
    assert world.notifier.notify(incident.incident_id) == "skipped"
    first, resolved, restored = (json.dumps(body) for body in world.teams.bodies)
    assert "Undone on X" in first and "Reviewed" in resolved and "the retweet is back on X" in restored
    assert f"{REVIEW_URL}/incidents/{incident.incident_id}" in restored
    stored = world.store.get(incident.incident_id)
    assert stored is not None and stored.followup is NotificationStatus.SENT


def test_a_follow_up_for_a_status_already_left_stays_pending_for_the_newer_one(world: World) -> None:
    incident = undone(world)
    world.store.resolve(incident.incident_id, Resolution.FALSE_POSITIVE, "ops@example.org", NOW)
    world.store.record_restored(incident.incident_id, NOW)
    with pytest.raises(IncidentTransitionError):
        world.store.record_followup_sent(incident.incident_id, IncidentStatus.RESOLVED)
    assert world.store.get(incident.incident_id).followup is NotificationStatus.PENDING  # type: ignore[union-attr]


def test_a_failed_card_is_recorded_once_raised_and_sent_when_teams_is_back(world: World) -> None:
    incident = undone(world)
    world.teams.statuses = [503, 503]
    for _ in range(2):
        with pytest.raises(NotificationFailedError, match="503"):
            world.notifier.notify(incident.incident_id)
    failed = world.store.get(incident.incident_id)
    assert failed is not None
    assert (failed.notification, failed.notify_attempts) == (NotificationStatus.FAILED, 1)
    assert failed.last_notify_error is not None and "503" in failed.last_notify_error
    assert WEBHOOK_SIG not in failed.last_notify_error

    assert world.notifier.notify(incident.incident_id) == "sent"
    sent = world.store.get(incident.incident_id)
    assert sent is not None and sent.notification is NotificationStatus.SENT
    assert len(world.teams.bodies) == 3
    assert world.metrics.events == ["notification_failed", "notification_failed", "notified"]


def test_a_rejected_card_fails_the_same_way(world: World) -> None:
    incident = undone(world)
    world.teams.statuses = [400]
    with pytest.raises(NotificationFailedError, match="400"):
        world.notifier.notify(incident.incident_id)
    stored = world.store.get(incident.incident_id)
    assert stored is not None and stored.notification is NotificationStatus.FAILED
