"""One inspect-queue message, attempt by attempt: the postpone path and the final attempt, with fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from takedown.inspection import Attempt, InspectionResult, Postponed, QueuedInspection, RetryLaterError
from takedown.webhook import read_delivery
from tests.conftest import EVENTS

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
(CANDIDATE,) = read_delivery((EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes(), NOW).candidates


class FakeQueue:
    def __init__(self) -> None:
        self.postponed: list[tuple[str, int]] = []

    def postpone(self, receipt_handle: str, delay_seconds: int) -> None:
        self.postponed.append((receipt_handle, delay_seconds))


class FakeInspector:
    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.calls = error, []

    def inspect(self, event: Any, final_attempt: bool = False) -> InspectionResult:
        self.calls.append((event.post_id, final_attempt))
        if self.error:
            raise self.error
        return InspectionResult("undone")


def _run(inspector: FakeInspector, queue: FakeQueue, receives: int) -> Attempt:
    queued = QueuedInspection(inspector, queue, max_receive_count=8, retry_base_seconds=5)  # type: ignore[arg-type]
    return queued.run(CANDIDATE.model_dump_json(), receives, "receipt-1")


def test_an_inspected_candidate_is_not_postponed() -> None:
    queue = FakeQueue()
    attempt = _run(FakeInspector(), queue, receives=1)
    assert (attempt.account_id, attempt.post_id) == (CANDIDATE.account_id, CANDIDATE.post_id)
    assert attempt.result == InspectionResult("undone") and queue.postponed == []


def test_a_rate_limit_postpones_until_its_reset() -> None:
    queue = FakeQueue()
    attempt = _run(FakeInspector(RetryLaterError("rate limited by X", 42)), queue, receives=3)
    assert attempt.result == Postponed("rate limited by X", 42)
    assert queue.postponed == [("receipt-1", 42)]


def test_an_outage_backs_off_exponentially_with_the_receive_count() -> None:
    delays = []
    for receives in (1, 2, 3, 4):
        queue = FakeQueue()
        _run(FakeInspector(RetryLaterError("X unavailable", 0)), queue, receives)
        delays.append(queue.postponed[0][1])
    assert delays == [5, 10, 20, 40]


def test_only_the_last_allowed_receive_is_the_final_attempt() -> None:
    inspector = FakeInspector()
    for receives in (7, 8, 9):
        _run(inspector, FakeQueue(), receives)
    assert [final for _, final in inspector.calls] == [False, True, True]
