"""The inspection ledger and the sweep's checkpoints on DynamoDB Local (AWS's own engine): the
conditional put under concurrent writers, the first writer's entry returned to the others, and a
since_id compared as the 19-digit number it is, never as text."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from takedown.ledger import InspectionLedger, LedgerEntry
from takedown.sweep import SweepCheckpoints

pytestmark = [pytest.mark.integration]
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(dynamodb: Any, tables: dict[str, str]) -> InspectionLedger:
    return InspectionLedger(dynamodb, tables["InspectionLedgerTable"])


@pytest.fixture
def checkpoints(dynamodb: Any, tables: dict[str, str]) -> SweepCheckpoints:
    return SweepCheckpoints(dynamodb, tables["ControlTable"])


def test_of_eight_concurrent_inspections_of_one_post_exactly_one_is_first(ledger: InspectionLedger) -> None:
    results: list[LedgerEntry | None] = []
    start = threading.Barrier(8)

    def inspect(n: int) -> None:
        start.wait()
        results.append(ledger.record("1-2", "webhook" if n % 2 else "sweep", f"outcome-{n}", T0))

    threads = [threading.Thread(target=inspect, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    firsts = [result for result in results if result is None]
    earlier = {result for result in results if result is not None}
    assert len(firsts) == 1 and len(earlier) == 1  # the seven others all see the same, first, entry
    assert ledger.entry("1-2") == earlier.pop()


def test_inspected_reads_back_what_was_recorded(ledger: InspectionLedger) -> None:
    for n in range(0, 120, 2):
        ledger.record(f"1-{n}", "webhook", "clean", T0)
    assert ledger.inspected(f"1-{n}" for n in range(120)) == {f"1-{n}" for n in range(0, 120, 2)}


def test_the_checkpoint_compares_ids_as_numbers_and_only_moves_forward(checkpoints: SweepCheckpoints) -> None:
    checkpoints.advance("1", "999999999999999999", T0)  # 18 digits
    checkpoints.advance("1", "1000000000000000000", T0)  # 19 digits: larger, though "1..." < "9..." as text
    assert checkpoints.since_id("1") == "1000000000000000000"
    checkpoints.advance("1", "999999999999999999", T0)
    assert checkpoints.since_id("1") == "1000000000000000000"
    assert checkpoints.since_id("2") is None
