"""The inspector's decisions on moto's DynamoDB, with an in-memory undo queue: it never calls X."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from takedown.evidence import EvidenceError, EvidenceLocker
from takedown.incidents.model import IncidentStatus
from takedown.incidents.store import IncidentStore
from takedown.inspection import Inspector
from takedown.policy import AccountPolicy, PolicyStore
from takedown.signatures import SignatureEngine
from takedown.undo import UndoRequest
from takedown.webhook import read_delivery
from takedown_local.template import create_tables
from tests.conftest import EVENTS, ROOT
from tests.evidence_support import RETENTION_DAYS, evidence_bucket

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "1000000000000000001"


class FakeUndoQueue:
    """The undo queue, in memory: what inspection handed on."""

    def __init__(self) -> None:
        self.requests: list[tuple[UndoRequest, int]] = []

    def schedule(self, request: UndoRequest, delay_seconds: int = 0) -> None:
        self.requests.append((request, delay_seconds))


class Metrics:
    def __init__(self) -> None:
        self.events: list[str] = []

    def incident_detected(self, category: str) -> None:
        self.events.append(f"detected:{category}")


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="i-")
        policies = PolicyStore(dynamodb, tables["AccountsTable"], max_age_seconds=0)
        policies.put_policy(AccountPolicy(account_id=ACCOUNT, mode="enforce"))
        incidents = IncidentStore(dynamodb, tables["IncidentsTable"], clock=lambda: NOW)
        undo_queue, metrics = FakeUndoQueue(), Metrics()
        evidence = evidence_bucket()
        inspector = Inspector(
            SignatureEngine.load_default(), policies, incidents, undo_queue, metrics, lambda: NOW,
            evidence=evidence["locker"],
        )  # fmt: skip
        yield {
            "inspector": inspector, "undo_queue": undo_queue, "policies": policies, "incidents": incidents,
            "metrics": metrics, "evidence": evidence,
        }  # fmt: skip


def _candidate(event_file: str = "webhook_aaa_retweet_illegal_stream.json"):  # noqa: ANN202
    body = json.loads((EVENTS / event_file).read_text())["body"]
    (candidate,) = read_delivery(body, NOW - timedelta(seconds=1)).candidates
    return candidate


def test_bad_retweet_is_recorded_at_once_and_its_undo_handed_to_the_undo_queue(world: dict) -> None:
    result = world["inspector"].inspect(_candidate())
    assert result.outcome == "scheduled"
    incident = world["incidents"].get(result.incident.incident_id)
    assert incident.status is IncidentStatus.DETECTED and incident.undo_scheduled_for == NOW
    assert [(c.status, c.note) for c in incident.history] == [
        (IncidentStatus.DETECTED, ""), (IncidentStatus.DETECTED, "undo queued"),
    ]  # fmt: skip
    assert incident.contributions[0].rule == "stream.site.name"
    ((request, delay),) = world["undo_queue"].requests
    assert (request.incident_id, request.account_id, request.failures, delay) == (incident.incident_id, ACCOUNT, 0, 0)
    assert world["metrics"].events == ["detected:illegal_stream"]


def test_bad_quote_is_recorded_with_its_own_post_to_delete(world: dict) -> None:
    result = world["inspector"].inspect(_candidate("webhook_aaa_quote_adult.json"))
    assert (result.outcome, result.incident.kind, result.incident.post_id) == (
        "scheduled",
        "quote",
        "930381800000000456",
    )


def test_redelivery_gives_one_incident_and_one_undo_request(world: dict) -> None:
    first = world["inspector"].inspect(_candidate())
    again = world["inspector"].inspect(_candidate())
    assert (first.outcome, again.outcome) == ("scheduled", "duplicate")
    assert len(world["undo_queue"].requests) == 1


@pytest.mark.parametrize("kill_switch", [False, True])
def test_monitor_mode_and_the_kill_switch_never_undo(world: dict, kill_switch: bool) -> None:
    if kill_switch:
        world["policies"].set_kill_switch(True)
    else:
        world["policies"].put_policy(AccountPolicy(account_id=ACCOUNT, mode="monitor"))
    result = world["inspector"].inspect(_candidate())
    assert (result.outcome, result.incident.status) == ("monitored", IncidentStatus.MONITORED)
    assert world["undo_queue"].requests == []


def test_an_unconfigured_account_is_never_undone(world: dict) -> None:
    candidate = _candidate().model_copy(update={"account_id": "42", "author_id": "42"})
    assert world["inspector"].inspect(candidate).outcome == "monitored"
    assert world["undo_queue"].requests == []


def test_trusted_author_is_left_alone(world: dict) -> None:
    world["policies"].put_policy(
        AccountPolicy(account_id=ACCOUNT, mode="enforce", trusted_author_ids=frozenset({"1000000000000000777"}))
    )
    assert world["inspector"].inspect(_candidate()).outcome == "clean"


def test_a_rule_the_breaker_switched_to_monitor_is_only_recorded(world: dict) -> None:
    world["policies"].set_rule_monitored("stream.site.name", monitored=True)
    result = world["inspector"].inspect(_candidate())
    assert (result.outcome, world["undo_queue"].requests) == ("monitored", [])
    assert "stream.site.name switched to monitor" in result.incident.history[-1].note


def test_someone_elses_retweet_is_ignored(world: dict) -> None:
    body = json.loads((EVENTS / "webhook_aaa_retweet_by_someone_else.json").read_text())["body"]
    (post,) = read_delivery(body, NOW).posts
    assert world["inspector"].inspect(post).outcome == "ignored"


class EvidenceCheckingUndoQueue(FakeUndoQueue):
    """An undo queue that looks, at the moment an undo is handed to it, at what the incident holds."""

    def __init__(self, incidents: IncidentStore) -> None:
        super().__init__()
        self._incidents = incidents
        self.evidence_when_scheduled: list[object] = []

    def schedule(self, request: UndoRequest, delay_seconds: int = 0) -> None:
        self.evidence_when_scheduled.append(self._incidents.get(request.incident_id).evidence)  # type: ignore[union-attr]
        super().schedule(request, delay_seconds)


def _inspector(world: dict, undo_queue: FakeUndoQueue, locker: EvidenceLocker) -> Inspector:
    return Inspector(
        SignatureEngine.load_default(), world["policies"], world["incidents"], undo_queue, Metrics(), lambda: NOW,
        evidence=locker,
    )  # fmt: skip


def _object(world: dict, key: str) -> bytes:
    s3, bucket = world["evidence"]["s3"], world["evidence"]["bucket"]
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_the_evidence_is_kept_and_on_the_incident_before_its_undo_is_queued(world: dict) -> None:
    body = json.loads((EVENTS / "webhook_aaa_retweet_illegal_stream.json").read_text())["body"].encode()
    locker = world["evidence"]["locker"]
    source = locker.keep_delivery(body, "sha256=signature-as-sent", NOW - timedelta(seconds=1))
    candidate = _candidate().model_copy(update={"raw_source": source})
    undo_queue = EvidenceCheckingUndoQueue(world["incidents"])

    result = _inspector(world, undo_queue, locker).inspect(candidate)

    assert result.outcome == "scheduled"
    incident = world["incidents"].get(result.incident.incident_id)
    assert undo_queue.evidence_when_scheduled == [incident.evidence] and incident.evidence is not None
    evidence = incident.evidence
    assert (evidence.origin, evidence.source) == ("webhook", source.body) and evidence.signature is not None
    assert _object(world, evidence.source.key) == body
    assert _object(world, evidence.signature.key) == b"sha256=signature-as-sent"
    post = _object(world, evidence.post.key)
    assert json.loads(post)["post_id"] == incident.post_id  # the normalised post, as judged
    for name, kept in (("source", evidence.source), ("signature", evidence.signature), ("post", evidence.post)):
        assert incident.evidence_hashes[name] == hashlib.sha256(_object(world, kept.key)).hexdigest()


def test_a_monitored_detection_keeps_its_evidence_too(world: dict) -> None:
    world["policies"].put_policy(AccountPolicy(account_id=ACCOUNT, mode="monitor"))
    result = world["inspector"].inspect(_candidate())
    assert result.outcome == "monitored"
    incident = world["incidents"].get(result.incident.incident_id)
    assert incident.evidence is not None and incident.evidence.source is None  # this message carried none
    assert hashlib.sha256(_object(world, incident.evidence.post.key)).hexdigest() == incident.evidence_hashes["post"]


def test_without_s3_the_detection_is_recorded_and_its_undo_waits_for_the_evidence(world: dict) -> None:
    s3, key_arn = world["evidence"]["s3"], world["evidence"]["key_arn"]
    undo_queue = FakeUndoQueue()
    broken = EvidenceLocker(s3, "evidence-bucket-gone", key_arn, RETENTION_DAYS)

    with pytest.raises(EvidenceError, match="NoSuchBucket"):
        _inspector(world, undo_queue, broken).inspect(_candidate())
    incident = world["incidents"].get(f"{ACCOUNT}-{_candidate().post_id}")
    assert incident.status is IncidentStatus.DETECTED and incident.evidence is None  # ops see it at once
    assert undo_queue.requests == []

    # SQS delivers the message again once S3 is back: the evidence first, then the undo, once.
    result = _inspector(world, undo_queue, world["evidence"]["locker"]).inspect(_candidate())
    assert result.outcome == "scheduled" and result.incident.evidence is not None
    assert len(undo_queue.requests) == 1
