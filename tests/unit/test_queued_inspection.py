"""One inspect-queue message: a candidate is inspected; anything else fails alone, with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from takedown.inspection import InspectionResult, PoisonMessageError, QueuedInspection
from takedown.webhook import read_delivery
from tests.conftest import EVENTS

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
(CANDIDATE,) = read_delivery((EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes(), NOW).candidates


class NoLedger:
    """Nothing inspected before: every message reaches the inspector (the ledger: test_ledger.py)."""

    def entry(self, key: str) -> None:
        return None

    def record(self, key: str, found_by: str, outcome: str, at: datetime) -> None:
        return None


class FakeInspector:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def inspect(self, event: Any) -> InspectionResult:
        self.calls.append(event.post_id)
        return InspectionResult("scheduled")


def test_a_candidate_is_inspected_and_says_whose_post_it_was() -> None:
    inspector = FakeInspector()
    attempt = QueuedInspection(inspector, NoLedger()).run(CANDIDATE.model_dump_json())  # type: ignore[arg-type]
    assert (attempt.account_id, attempt.post_id, attempt.result.outcome) == (
        CANDIDATE.account_id, CANDIDATE.post_id, "scheduled",
    )  # fmt: skip
    assert inspector.calls == [CANDIDATE.post_id]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "not a candidate post"),
        ("{", "not a candidate post"),
        ("[]", "not a candidate post"),
        (json.dumps({**CANDIDATE.model_dump(mode="json"), "account_id": None}), "account_id"),
    ],
)
def test_a_poison_message_fails_with_its_reason_and_reaches_no_inspector(body: str, reason: str) -> None:
    inspector = FakeInspector()
    with pytest.raises(PoisonMessageError, match=reason):
        QueuedInspection(inspector, NoLedger()).run(body)  # type: ignore[arg-type]
    assert inspector.calls == []
