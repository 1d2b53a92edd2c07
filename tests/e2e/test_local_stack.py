"""End to end over HTTP: the local stack with the real handlers, DynamoDB Local, moto and stand-ins."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator

import httpx
import pytest

from takedown.incidents.model import Incident, IncidentStatus, NotificationStatus, Resolution
from takedown.incidents.store import IncidentStore
from takedown.webhook import sign
from takedown_cli.main import main
from takedown_local.dynamodb_local import local_client
from takedown_local.stack import LocalStack, StackOptions, wait_for
from tests.conftest import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ACCOUNT = "1000000000000000001"
STREAM_PAYLOAD = json.loads((EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes())


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(StackOptions()) as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as client:
        yield client


@pytest.fixture
def store(stack: LocalStack) -> IncidentStore:
    return IncidentStore(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.incidents_table)


def _deliver(http: httpx.Client, stack: LocalStack, envelope: dict, secret: str | None = None) -> httpx.Response:
    body = json.dumps(envelope, separators=(",", ":")).replace("/", "\\/").encode()
    return http.post(
        stack.ready_line()["webhook_url"],
        content=body,
        headers={
            "content-type": "application/json",
            "x-twitter-webhooks-signature": sign(secret or stack.options.consumer_secret, body),
        },
    )


def _stream_retweet(repost_id: str, source_id: str) -> dict:
    """The sample illegal-stream retweet, with fresh ids so that tests don't share incidents."""
    envelope = copy.deepcopy(STREAM_PAYLOAD)
    tweet = envelope["tweet_create_events"][0]
    tweet["id_str"], tweet["id"] = repost_id, int(repost_id)
    tweet["retweeted_status"]["id_str"], tweet["retweeted_status"]["id"] = source_id, int(source_id)
    return envelope


def _x_calls(stack: LocalStack, path: str) -> list[dict]:
    return [call for call in stack.x.calls if call["path"] == path]


def _settled(store: IncidentStore, incident_id: str, timeout: float = 30) -> Incident:
    def notified() -> Incident | None:
        incident = store.get(incident_id)
        return incident if incident and incident.notification is NotificationStatus.SENT else None

    return wait_for(notified, timeout)


def test_ready_line_names_every_endpoint(stack: LocalStack, http: httpx.Client) -> None:
    ready = stack.ready_line()
    assert set(ready) == {
        "webhook_url", "review_url", "x_api_url", "x_calls_url", "teams_url", "teams_cards_url",
        "dynamodb_url", "sqs_url", "secretsmanager_url", "s3_url", "evidence_bucket", "consumer_secret",
        "account_id", "account_ids", "env",
    }  # fmt: skip
    assert http.get(ready["x_calls_url"]).status_code == 200
    assert http.get(ready["teams_cards_url"]).status_code == 200
    console = http.get(ready["review_url"])  # signed in as the local reviewer
    assert console.status_code == 200 and "Signed in as Local reviewer" in console.text
    # Everything a local `takedown` command needs, endpoints and names alike.
    assert ready["env"]["AWS_ENDPOINT_URL_SQS"] == ready["sqs_url"]
    assert ready["env"]["AWS_ENDPOINT_URL_DYNAMODB"] == ready["dynamodb_url"]
    assert {"INCIDENTS_TABLE", "ACCOUNTS_TABLE", "UNDO_QUEUE_URL", "X_ACCOUNT_SECRET_PREFIX"} <= set(ready["env"])


def test_bad_retweet_is_undone_recorded_and_reported(
    stack: LocalStack, http: httpx.Client, store: IncidentStore
) -> None:
    response = _deliver(http, stack, _stream_retweet("1900000000000000001", "1800000000000000001"))
    assert (response.status_code, response.json()) == (200, {"enqueued": 1})
    incident = _settled(store, Incident.id_for(ACCOUNT, "1900000000000000001"))
    assert incident.status is IncidentStatus.UNDONE
    assert incident.category == "illegal_stream"
    assert incident.time_to_takedown_ms is not None
    assert _x_calls(stack, f"/2/users/{ACCOUNT}/retweets/1800000000000000001")[0]["status"] == 200
    assert any(incident.incident_id in json.dumps(card) for card in stack.teams.cards)


def test_an_undone_incident_holds_the_hashes_of_the_bytes_x_sent(
    stack: LocalStack, http: httpx.Client, store: IncidentStore
) -> None:
    envelope = _stream_retweet("1900000000000000011", "1800000000000000011")
    response = _deliver(http, stack, envelope)
    assert response.status_code == 200
    incident = _settled(store, Incident.id_for(ACCOUNT, "1900000000000000011"))
    assert incident.status is IncidentStatus.UNDONE and incident.evidence is not None

    s3 = local_client("s3", stack.ready_line()["s3_url"])
    bucket = stack.ready_line()["evidence_bucket"]
    evidence = incident.evidence
    kept = {
        name: s3.get_object(Bucket=bucket, Key=stored.key)["Body"].read()
        for name, stored in (("source", evidence.source), ("signature", evidence.signature), ("post", evidence.post))
        if stored is not None
    }
    assert kept["source"] == response.request.content  # the delivery byte for byte, as signed
    assert kept["signature"] == response.request.headers["x-twitter-webhooks-signature"].encode()
    assert json.loads(kept["post"])["source_post_id"] == "1800000000000000011"
    assert {name: hashlib.sha256(data).hexdigest() for name, data in kept.items()} == incident.evidence_hashes
    head = s3.head_object(Bucket=bucket, Key=evidence.post.key)
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ServerSideEncryption"] == "aws:kms"
    undone_at = incident.undone_at
    assert undone_at is not None and evidence.retain_until > undone_at


def test_clean_retweet_and_someone_elses_retweet_are_left_alone(
    stack: LocalStack, http: httpx.Client, store: IncidentStore
) -> None:
    clean = _stream_retweet("1900000000000000002", "1800000000000000002")
    original = clean["tweet_create_events"][0]["retweeted_status"]
    original["text"] = "Road closure: the A27 is closed eastbound at Lewes after a collision. Please avoid the area."
    original["entities"]["urls"] = []
    original["user"] = copy.deepcopy(clean["tweet_create_events"][0]["user"])
    assert _deliver(http, stack, clean).json() == {"enqueued": 1}
    someone_else = json.loads((EVENTS / "payloads" / "aaa_retweet_of_account_by_someone_else.json").read_bytes())
    assert _deliver(http, stack, someone_else).json() == {"enqueued": 0}
    sentinel = _stream_retweet("1900000000000000003", "1800000000000000003")
    _deliver(http, stack, sentinel)
    _settled(store, Incident.id_for(ACCOUNT, "1900000000000000003"))  # FIFO: the clean one went first
    assert store.get(Incident.id_for(ACCOUNT, "1900000000000000002")) is None
    assert not _x_calls(stack, f"/2/users/{ACCOUNT}/retweets/1800000000000000002")


def test_forged_signature_is_rejected_with_nothing_stored(
    stack: LocalStack, http: httpx.Client, store: IncidentStore
) -> None:
    response = _deliver(http, stack, _stream_retweet("1900000000000000004", "1800000000000000004"), secret="guess")
    assert response.status_code == 401
    sentinel = _stream_retweet("1900000000000000005", "1800000000000000005")
    _deliver(http, stack, sentinel)
    _settled(store, Incident.id_for(ACCOUNT, "1900000000000000005"))
    assert store.get(Incident.id_for(ACCOUNT, "1900000000000000004")) is None


def test_duplicate_delivery_gives_one_incident_and_one_undo(
    stack: LocalStack, http: httpx.Client, store: IncidentStore
) -> None:
    envelope = _stream_retweet("1900000000000000006", "1800000000000000006")
    for _ in range(3):
        assert _deliver(http, stack, envelope).status_code == 200
    incident = _settled(store, Incident.id_for(ACCOUNT, "1900000000000000006"))
    assert incident.undo_attempts == 1
    assert len(_x_calls(stack, f"/2/users/{ACCOUNT}/retweets/1800000000000000006")) == 1
    assert sum(incident.incident_id in json.dumps(card) for card in stack.teams.cards) == 1


@pytest.mark.parametrize("status", [429, 500])
def test_x_faults_end_in_an_undo(stack: LocalStack, http: httpx.Client, store: IncidentStore, status: int) -> None:
    repost, source = f"19000000000000{status}7", f"18000000000000{status}7"
    stack.x.fail_next(status, times=1, reset_in=1)
    _deliver(http, stack, _stream_retweet(repost, source))
    incident = _settled(store, Incident.id_for(ACCOUNT, repost), timeout=45)
    assert incident.status is IncidentStatus.UNDONE
    statuses = [call["status"] for call in _x_calls(stack, f"/2/users/{ACCOUNT}/retweets/{source}")]
    assert statuses == [status, 200]


def test_teams_outage_ends_in_a_delivered_card(stack: LocalStack, http: httpx.Client, store: IncidentStore) -> None:
    incident_id = Incident.id_for(ACCOUNT, "1900000000000000008")
    stack.teams.fail_next(503, times=3, matching=incident_id)  # this card only, whatever else is in flight
    _deliver(http, stack, _stream_retweet("1900000000000000008", "1800000000000000008"))
    incident = _settled(store, incident_id, timeout=45)
    assert incident.status is IncidentStatus.UNDONE
    # The first failure is recorded (once), then the retried stream record delivers the card.
    assert incident.notify_attempts == 2
    assert incident.last_notify_error is not None and "503" in incident.last_notify_error
    assert sum(incident_id in json.dumps(card) for card in stack.teams.cards) == 1


def test_ops_list_and_restore_a_false_positive_through_the_cli(
    stack: LocalStack, http: httpx.Client, store: IncidentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    _deliver(http, stack, _stream_retweet("1900000000000000009", "1800000000000000009"))
    incident = _settled(store, Incident.id_for(ACCOUNT, "1900000000000000009"))
    capsys.readouterr()
    assert main(["incidents", "list", "--account", ACCOUNT, "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert incident.incident_id in {i["incident_id"] for i in listed}

    resolve = ["incidents", "resolve", incident.incident_id, "--false-positive", "--restore", "--by", "ops"]
    assert main([*resolve, "--reason", "a licensed broadcaster's stream", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"incident_id": incident.incident_id, "status": "restored"}
    restore = [c for c in stack.x.calls if c["method"] == "POST" and c["path"] == f"/2/users/{ACCOUNT}/retweets"]
    assert restore[-1]["status"] == 200
    assert store.get(incident.incident_id).resolution == Resolution.FALSE_POSITIVE
