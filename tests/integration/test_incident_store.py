"""The incident store against DynamoDB Local: create-once, legal state changes, index queries, stream."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from takedown.incidents.exceptions import IncidentNotFoundError, IncidentTransitionError
from takedown.incidents.model import Incident, IncidentStatus, NotificationStatus, Resolution
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Contribution
from takedown_local.dynamodb_local import local_client

pytestmark = [pytest.mark.integration]
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _incident(post_id: str = "200", account_id: str = "100", at: datetime = T0) -> Incident:
    return Incident(
        incident_id=Incident.id_for(account_id, post_id),
        account_id=account_id,
        account_handle="ExampleConstab",
        post_id=post_id,
        kind="retweet",
        source_post_id="300",
        source_post_url="https://x.com/streamer/status/300",
        category="illegal_stream",
        score=0.93,
        contributions=[Contribution(rule="stream.domain.crackstreams", version="abc123", evidence="crackstreams.biz")],
        received_at=at,
        detected_at=at,
    )


@pytest.fixture
def store(dynamodb: Any, tables: dict[str, str]) -> IncidentStore:
    return IncidentStore(dynamodb, tables["IncidentsTable"], retention_days=30)


class _Recording:
    """A client wrapper that records each call the store makes: operation, request and answer."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    @property
    def operations(self) -> list[str]:
        return [operation for operation, _, _ in self.calls]

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**request: Any) -> Any:
            try:
                response = method(**request)
            except ClientError as error:
                self.calls.append((name, request, error.response))
                raise
            self.calls.append((name, request, response))
            return response

        return call


def test_create_is_once_per_business_key(store: IncidentStore) -> None:
    first, created = store.create(_incident())
    again, created_again = store.create(_incident().model_copy(update={"score": 0.5}))
    assert (created, created_again) == (True, False)
    assert again.score == pytest.approx(0.93)
    assert first.expires_at == int((T0 + timedelta(days=30)).timestamp())
    assert [c.status for c in again.history] == [IncidentStatus.DETECTED]


def test_a_refused_write_answers_from_the_item_it_returns_without_reading_again(
    dynamodb: Any, tables: dict[str, str]
) -> None:
    recording = _Recording(dynamodb)
    store = IncidentStore(recording, tables["IncidentsTable"])
    incident, _ = store.create(_incident())
    again, created = store.create(_incident().model_copy(update={"score": 0.5}))
    store.record_undone(incident.incident_id, T0, 1)
    store.resolve(incident.incident_id, Resolution.CONFIRMED, "ops@example", T0)
    with pytest.raises(IncidentTransitionError, match=f"incident {incident.incident_id} is resolved"):
        store.record_restored(incident.incident_id, T0)
    with pytest.raises(IncidentNotFoundError):
        store.record_undone("nope", T0, 1)
    assert (created, again.score) == (False, pytest.approx(0.93))
    assert recording.operations == ["put_item", "put_item"] + ["update_item"] * 4
    refusals = [request for _, request, answer in recording.calls if "Error" in answer]
    assert len(refusals) == 3
    assert all(request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD" for request in refusals)


def test_concurrent_creates_make_exactly_one(store: IncidentStore) -> None:
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(store.create(_incident())[1])) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_round_trip_keeps_every_field(store: IncidentStore) -> None:
    incident, _ = store.create(_incident())
    assert store.get(incident.incident_id) == incident


def test_the_lifecycle_of_a_false_positive(store: IncidentStore) -> None:
    incident, _ = store.create(_incident())
    store.record_undo_attempt(incident.incident_id)
    undone = store.record_undone(incident.incident_id, T0 + timedelta(seconds=2), 2000)
    assert (undone.status, undone.undo_attempts, undone.time_to_takedown_ms) == (
        IncidentStatus.UNDONE,
        1,
        2000,
    )
    notified = store.record_notified(incident.incident_id, T0 + timedelta(seconds=3))
    assert notified.notification is NotificationStatus.SENT
    resolved = store.resolve(incident.incident_id, Resolution.FALSE_POSITIVE, "ops@example", T0 + timedelta(hours=1))
    restored = store.record_restored(incident.incident_id, T0 + timedelta(hours=1, seconds=5))
    assert resolved.resolution is Resolution.FALSE_POSITIVE
    assert [c.status for c in restored.history] == [
        IncidentStatus.DETECTED, IncidentStatus.UNDONE, IncidentStatus.RESOLVED, IncidentStatus.RESTORED,
    ]  # fmt: skip


def test_undo_failed_then_a_later_retry_succeeds(store: IncidentStore) -> None:
    incident, _ = store.create(_incident())
    failed = store.record_undo_failed(incident.incident_id, T0, "X unavailable: 503", permanent=False)
    assert (failed.status, failed.last_error_permanent) == (IncidentStatus.UNDO_FAILED, False)
    assert store.record_undone(incident.incident_id, T0 + timedelta(minutes=5), 300_000).status is IncidentStatus.UNDONE


@pytest.mark.parametrize(
    "illegal",
    [
        lambda s, i: s.record_restored(i, T0),  # restore what was never resolved
        lambda s, i: s.record_monitored(i, T0, "late"),  # an undone incident cannot become monitored
        lambda s, i: s.record_undone(i, T0, 1),  # undone twice
    ],
)
def test_illegal_transitions_are_refused(store: IncidentStore, illegal: Any) -> None:
    incident, _ = store.create(_incident())
    store.record_undone(incident.incident_id, T0, 1)
    with pytest.raises(IncidentTransitionError):
        illegal(store, incident.incident_id)


def test_a_confirmed_takedown_is_never_restored(store: IncidentStore) -> None:
    incident, _ = store.create(_incident())
    store.record_undone(incident.incident_id, T0, 1)
    store.resolve(incident.incident_id, Resolution.CONFIRMED, "ops@example", T0)
    with pytest.raises(IncidentTransitionError, match="resolved"):
        store.record_restored(incident.incident_id, T0)


def test_missing_incident(store: IncidentStore) -> None:
    with pytest.raises(IncidentNotFoundError):
        store.record_undone("nope", T0, 1)


def test_notification_failure_is_marked_once(store: IncidentStore) -> None:
    incident, _ = store.create(_incident())
    failed = store.record_notify_failed(incident.incident_id, "Teams 503")
    assert (failed.notification, failed.notify_attempts) == (NotificationStatus.FAILED, 1)
    with pytest.raises(IncidentTransitionError):
        store.record_notify_failed(incident.incident_id, "Teams 503 again")


def test_queries_by_account_and_status_use_the_indexes(dynamodb: Any, tables: dict[str, str]) -> None:
    recording = _Recording(dynamodb)
    store = IncidentStore(recording, tables["IncidentsTable"])
    for i in range(5):
        store.create(_incident(post_id=str(200 + i), at=T0 + timedelta(minutes=i)))
    store.create(_incident(post_id="900", account_id="101"))
    store.record_undone(Incident.id_for("100", "203"), T0, 1)

    page = store.list_by_account("100", limit=3)
    assert [i.post_id for i in page.incidents] == ["204", "203", "202"]
    rest = store.list_by_account("100", limit=3, next_token=page.next_token)
    assert [i.post_id for i in rest.incidents] == ["201", "200"]
    window = store.list_by_account("100", since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2))
    assert [i.post_id for i in window.incidents] == ["202", "201"]
    assert [i.post_id for i in store.list_by_status(IncidentStatus.UNDONE).incidents] == ["203"]
    queries = [(request, answer) for operation, request, answer in recording.calls if operation == "query"]
    assert set(recording.operations) == {"put_item", "update_item", "query"}
    assert [request["IndexName"] for request, _ in queries] == ["by_account"] * 3 + ["by_status"]
    # The key condition alone selects: nothing is read only to be filtered out (the time window too).
    assert [(answer["ScannedCount"], answer["Count"]) for _, answer in queries] == [(3, 3), (2, 2), (2, 2), (1, 1)]


def test_the_stream_shows_inserts_and_modifications(
    dynamodb: Any, tables: dict[str, str], dynamodb_local_url: str, store: IncidentStore
) -> None:
    incident, _ = store.create(_incident())
    store.record_undone(incident.incident_id, T0, 1)
    streams = local_client("dynamodbstreams", dynamodb_local_url)
    arn = dynamodb.describe_table(TableName=tables["IncidentsTable"])["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"]["status"] == {"S": "detected"}
    assert records[1]["dynamodb"]["NewImage"]["status"] == {"S": "undone"}
