"""Seeded fuzzing of the inspect queue's messages through the real inspector (moto's DynamoDB):
every message is either inspected or refused as a poison message with its reason; nothing else
escapes, so one bad message fails alone and says why."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from takedown.incidents.store import IncidentStore
from takedown.inspection import Inspector, PoisonMessageError, QueuedInspection
from takedown.ledger import InspectionLedger
from takedown.policy import AccountPolicy, PolicyStore
from takedown.signatures import SignatureEngine
from takedown.undo import UndoRequest
from takedown.webhook import read_delivery
from takedown_local.template import create_tables
from tests.conftest import EVENTS, ROOT
from tests.evidence_support import evidence_bucket

SEED = 20261124
CASES = 400
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CANDIDATES = [
    candidate.model_dump(mode="json")
    for name in (
        "aaa_retweet_illegal_stream.json",
        "aaa_quote_adult.json",
        "xaa_post_create_repost_illegal_stream.json",
    )
    for candidate in read_delivery((EVENTS / "payloads" / name).read_bytes(), NOW).candidates
]
ODD_VALUES = [None, 0, -1, 2**70, "", "x" * 5000, [], {}, True, 1.5, "\u202e", "𝕩", "1" * 40, "not-a-date"]


class NoUndo:
    def schedule(self, request: UndoRequest, delay_seconds: int = 0) -> None:
        pass


class NoMetrics:
    def incident_detected(self, category: str) -> None:
        pass


@pytest.fixture
def queued() -> Iterator[QueuedInspection]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="f-")
        policies = PolicyStore(dynamodb, tables["AccountsTable"])
        policies.put_policy(AccountPolicy(account_id=CANDIDATES[0]["account_id"], mode="enforce"))
        incidents = IncidentStore(dynamodb, tables["IncidentsTable"])
        ledger = InspectionLedger(dynamodb, tables["InspectionLedgerTable"])
        evidence = evidence_bucket()["locker"]
        yield QueuedInspection(
            Inspector(SignatureEngine.load_default(), policies, incidents, NoUndo(), NoMetrics(), evidence=evidence),
            ledger,
        )


def _message(rng: random.Random) -> str:
    candidate = json.loads(json.dumps(rng.choice(CANDIDATES)))
    kind = rng.randrange(5)
    if kind == 0:  # a field of another type, or gone
        key = rng.choice(sorted(candidate))
        if rng.random() < 0.3:
            del candidate[key]
        else:
            candidate[key] = rng.choice(ODD_VALUES)
    elif kind == 1:  # a field nobody expects
        candidate[rng.choice(["extra", "__proto__", "post_id2"])] = rng.choice(ODD_VALUES)
    body = json.dumps(candidate, ensure_ascii=rng.random() < 0.5)
    if kind == 2:  # cut short
        body = body[: rng.randrange(len(body))]
    elif kind == 3:  # bytes SQS would carry but JSON does not allow
        at = rng.randrange(len(body))
        body = body[:at] + rng.choice(["\x00", "\ufffd", "}", "\\", '"']) + body[at:]
    return body


def test_every_message_is_inspected_or_refused_with_its_reason(queued: QueuedInspection) -> None:
    rng = random.Random(SEED)
    outcomes: dict[str, int] = {}
    for case in range(CASES):
        body = _message(rng)
        try:
            attempt = queued.run(body)
        except PoisonMessageError as error:
            assert str(error).startswith("not a candidate post: "), (case, str(error))
            outcomes["poison"] = outcomes.get("poison", 0) + 1
        else:
            outcomes[attempt.result.outcome] = outcomes.get(attempt.result.outcome, 0) + 1
    assert outcomes.get("poison", 0) > 50 and len(outcomes) > 1, outcomes
