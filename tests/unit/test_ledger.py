"""The inspection ledger on moto's DynamoDB, and the inspect-queue message run through it: the
webhook and the sweep bring the same post, the first inspects it, the second is skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from takedown.inspection import InspectionResult, QueuedInspection
from takedown.ledger import DEFAULT_RETENTION, InspectionLedger, LedgerEntry
from takedown.webhook import PostEvent, read_delivery
from takedown_local.template import create_tables
from tests.conftest import EVENTS, ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
(CANDIDATE,) = read_delivery((EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes(), NOW).candidates
SWEPT = CANDIDATE.model_copy(update={"found_by": "sweep"})


@dataclass
class World:
    ledger: InspectionLedger
    dynamodb: Any
    table: str


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        table = create_tables(dynamodb, ROOT / "template.yaml", prefix="l-")["InspectionLedgerTable"]
        yield World(InspectionLedger(dynamodb, table), dynamodb, table)


@dataclass
class CountingInspector:
    """Inspects by saying what it was told to; `during` runs mid-inspection (a second message's race)."""

    outcome: str = "scheduled"
    seen: list[tuple[str, str]] = field(default_factory=list)
    during: Callable[[], None] | None = None

    def inspect(self, event: PostEvent) -> InspectionResult:
        self.seen.append((event.post_id, event.found_by))
        if self.during is not None:
            self.during()
        return InspectionResult(self.outcome)  # type: ignore[arg-type]


def test_the_first_record_wins_and_the_second_learns_who_came_first(world: World) -> None:
    assert world.ledger.record("1-2", "webhook", "clean", NOW) is None
    earlier = world.ledger.record("1-2", "sweep", "scheduled", NOW + timedelta(minutes=5))
    assert earlier == LedgerEntry(key="1-2", found_by="webhook", outcome="clean", inspected_at=NOW)
    assert world.ledger.entry("1-2") == earlier and world.ledger.entry("1-3") is None


def test_entries_expire_after_the_retention(world: World) -> None:
    world.ledger.record("1-2", "webhook", "clean", NOW)
    item = world.dynamodb.get_item(TableName=world.table, Key={"inspection_key": {"S": "1-2"}})["Item"]
    assert int(item["expires_at"]["N"]) == int((NOW + DEFAULT_RETENTION).timestamp())
    assert timedelta(days=1) < DEFAULT_RETENTION  # longer than the sweep's look-back and X's replay


def test_inspected_answers_for_many_keys_at_once(world: World) -> None:
    keys = [f"1-{n}" for n in range(250)]
    for key in keys[::3]:
        world.ledger.record(key, "webhook", "clean", NOW)
    assert world.ledger.inspected([*keys, keys[0]]) == frozenset(keys[::3])
    assert world.ledger.inspected([]) == frozenset()


def test_a_post_the_webhook_inspected_is_skipped_when_the_sweep_brings_it(world: World) -> None:
    inspector = CountingInspector()
    queued = QueuedInspection(inspector, world.ledger, clock=lambda: NOW)  # type: ignore[arg-type]
    first = queued.run(CANDIDATE.model_dump_json())
    second = queued.run(SWEPT.model_dump_json())
    assert (first.first, first.found_by, first.result.outcome) == (True, "webhook", "scheduled")
    assert (second.first, second.found_by, second.result.outcome) == (False, "sweep", "already_inspected")
    assert second.earlier is not None and (second.earlier.found_by, second.earlier.outcome) == ("webhook", "scheduled")
    assert inspector.seen == [(CANDIDATE.post_id, "webhook")]


def test_a_post_the_sweep_found_first_is_skipped_when_its_late_webhook_comes(world: World) -> None:
    inspector = CountingInspector(outcome="clean")
    queued = QueuedInspection(inspector, world.ledger, clock=lambda: NOW)  # type: ignore[arg-type]
    found = queued.run(SWEPT.model_dump_json())
    late = queued.run(CANDIDATE.model_dump_json())
    assert (found.first, found.found_by) == (True, "sweep")
    assert (late.first, late.result.outcome) == (False, "already_inspected")
    assert inspector.seen == [(CANDIDATE.post_id, "sweep")]


def test_two_messages_inspected_at_once_keep_the_first_entry_and_the_second_says_so(world: World) -> None:
    def other_path_finishes_first() -> None:
        world.ledger.record(CANDIDATE.business_key, "sweep", "scheduled", NOW)

    inspector = CountingInspector(during=other_path_finishes_first)
    attempt = QueuedInspection(inspector, world.ledger, clock=lambda: NOW).run(CANDIDATE.model_dump_json())  # type: ignore[arg-type]
    assert (attempt.first, attempt.earlier and attempt.earlier.found_by) == (False, "sweep")
    assert world.ledger.entry(CANDIDATE.business_key).found_by == "sweep"  # type: ignore[union-attr]


def test_an_inspection_that_fails_leaves_no_entry_so_the_post_is_inspected_again(world: World) -> None:
    class Crashing(CountingInspector):
        def inspect(self, event: PostEvent) -> InspectionResult:
            raise RuntimeError("DynamoDB did not answer")

    with pytest.raises(RuntimeError):
        QueuedInspection(Crashing(), world.ledger).run(CANDIDATE.model_dump_json())  # type: ignore[arg-type]
    assert world.ledger.entry(CANDIDATE.business_key) is None
    again = QueuedInspection(CountingInspector(), world.ledger).run(CANDIDATE.model_dump_json())  # type: ignore[arg-type]
    assert again.first and again.result.outcome == "scheduled"


def test_a_message_that_is_not_a_candidate_is_not_remembered(world: World) -> None:
    inspector = CountingInspector(outcome="ignored")
    attempt = QueuedInspection(inspector, world.ledger).run(CANDIDATE.model_dump_json())  # type: ignore[arg-type]
    assert attempt.result.outcome == "ignored" and world.ledger.entry(CANDIDATE.business_key) is None
