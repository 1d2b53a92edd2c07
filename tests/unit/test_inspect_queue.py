"""The inspect queue's batching: SendMessageBatch takes at most 10 entries and 256 KiB."""

from __future__ import annotations

from typing import Any

from takedown.inspect_queue import _BATCH_BYTES, _BATCH_ENTRIES, _batches


def _entries(sizes: list[int]) -> list[dict[str, Any]]:
    return [{"Id": str(i), "MessageBody": "é" * (size // 2)} for i, size in enumerate(sizes)]  # 2 bytes each


def test_batches_hold_at_most_ten_entries() -> None:
    batches = list(_batches(_entries([100] * 25)))
    assert [len(batch) for batch in batches] == [10, 10, 5] and _BATCH_ENTRIES == 10


def test_batches_stay_under_the_byte_budget_counting_utf8_bytes() -> None:
    third = _BATCH_BYTES // 3
    batches = list(_batches(_entries([third, third, third, third])))
    assert [len(batch) for batch in batches] == [3, 1]
    for batch in batches:
        assert sum(len(entry["MessageBody"].encode("utf-8")) for entry in batch) <= _BATCH_BYTES


def test_an_entry_over_the_budget_goes_alone_in_order() -> None:
    batches = list(_batches(_entries([100, _BATCH_BYTES + 2, 100])))
    assert [[entry["Id"] for entry in batch] for batch in batches] == [["0"], ["1"], ["2"]]
