"""The incident's status changes, as data: what may follow what, whatever the store does with it."""

from __future__ import annotations

import itertools

import pytest

from takedown.incidents.model import RETRYABLE, TRANSITIONS, IncidentStatus, can_change

S = IncidentStatus
# (from, to) pairs that are allowed; every other pair must be refused.
ALLOWED = {
    (S.DETECTED, S.UNDONE),
    (S.UNDO_FAILED, S.UNDONE),
    (S.DETECTED, S.UNDO_FAILED),
    (S.UNDO_FAILED, S.UNDO_FAILED),
    (S.DETECTED, S.MONITORED),
    (S.UNDONE, S.RESOLVED),
    (S.UNDO_FAILED, S.RESOLVED),
    (S.MONITORED, S.RESOLVED),
    (S.RESOLVED, S.RESTORED),
}


@pytest.mark.parametrize(("current", "to"), list(itertools.product(S, S)))
def test_every_status_change_is_allowed_or_refused_as_the_table_says(current: S, to: S) -> None:
    assert can_change(current, to) is ((current, to) in ALLOWED)


def test_nothing_returns_to_detected_and_restored_is_final() -> None:
    assert S.DETECTED not in TRANSITIONS
    assert all(S.RESTORED not in allowed_from for allowed_from in TRANSITIONS.values())


def test_only_unfinished_incidents_are_acted_on_again() -> None:
    assert frozenset({S.DETECTED, S.UNDO_FAILED}) == RETRYABLE
