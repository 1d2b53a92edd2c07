"""The sweep for lost webhooks through the local stack: the real reconcile, inspect, undo and notify
handlers, DynamoDB Local, moto's SQS, and the X stand-in's timelines (GET /2/users/{id}/tweets).

The stack sweeps only when asked (`sweep_interval_seconds` is 0 by default): each test runs the
sweep itself (`stack.sweep()`, EventBridge's Scheduled Event), with no settle time, so the sweep sees
posts at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from takedown.incidents.model import Incident, IncidentStatus, NotificationStatus
from takedown.incidents.store import IncidentStore
from takedown.ledger import InspectionLedger
from takedown.post import business_key
from takedown.sweep import SweepCheckpoints
from takedown_local.dynamodb_local import local_client
from takedown_local.stack import LocalStack, StackOptions, wait_for
from takedown_local.traffic import deliver, signed_retweet, timeline_retweet

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ACCOUNTS = ("3000000000000000001", "3000000000000000002")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    options = StackOptions(account_ids=ACCOUNTS, sweep_settle_seconds=0)
    with LocalStack(options) as running:
        yield running


@pytest.fixture(scope="module")
def store(stack: LocalStack) -> IncidentStore:
    return IncidentStore(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.incidents_table)


@pytest.fixture(scope="module")
def checkpoints(stack: LocalStack) -> SweepCheckpoints:
    return SweepCheckpoints(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.control_table)


def post_on_x(stack: LocalStack, account: str, repost_id: int, source_id: int, ago: float = 60) -> None:
    """The account retweets the sample illegal stream on X (its timeline shows the retweet)."""
    stack.x.publish(*timeline_retweet(account, repost_id, source_id, datetime.now(UTC) - timedelta(seconds=ago)))


def undone(store: IncidentStore, account: str, repost_id: int, timeout: float = 60) -> Incident:
    return wait_for(  # type: ignore[no-any-return]
        lambda: (
            (i := store.get(Incident.id_for(account, str(repost_id))))
            and i.status is IncidentStatus.UNDONE
            and i.notification is NotificationStatus.SENT
            and i
        ),
        timeout=timeout,
    )


def unretweets_of(stack: LocalStack, account: str, source_id: int) -> list[int]:
    path = f"/2/users/{account}/retweets/{source_id}"
    return [call["status"] for call in stack.x.calls if call["method"] == "DELETE" and call["path"] == path]


def inspect_queue_is_empty(stack: LocalStack) -> bool:
    counts = local_client("sqs", stack.moto_url).get_queue_attributes(
        QueueUrl=stack.inspect_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return not any(int(count) for count in counts.values())


def test_a_retweet_whose_webhook_never_came_is_undone_by_the_sweep(stack: LocalStack, store: IncidentStore) -> None:
    account, repost, source = ACCOUNTS[0], 5_000_000_000_000_000_001, 5_000_000_000_000_000_901
    post_on_x(stack, account, repost, source)  # no webhook delivery: it was lost
    answer = stack.sweep()
    assert answer == {"accounts": 2, "failed": [], "enqueued": 1}
    incident = undone(store, account, repost)
    assert incident.source_post_id == str(source) and incident.category == "illegal_stream"
    # Its evidence is X's answer that listed it (no delivery was signed), locked before the undo.
    assert incident.evidence is not None and incident.evidence.origin == "sweep"
    assert incident.evidence.source is not None and incident.evidence.source.key.startswith("responses/")
    assert unretweets_of(stack, account, source) == [200]
    assert str(source) not in stack.x.retweeted_by(account)
    assert any(incident.incident_id in str(card) for card in stack.teams.cards)


def test_a_retweet_both_paths_bring_is_undone_once(stack: LocalStack, store: IncidentStore) -> None:
    account, repost, source = ACCOUNTS[1], 5_000_000_000_000_000_011, 5_000_000_000_000_000_911
    post_on_x(stack, account, repost, source)
    assert deliver(stack, [signed_retweet(account, repost, source)]) == [200]  # the webhook came in time
    undone(store, account, repost)
    post_on_x(stack, account, repost, source)  # still listed, as if X were slow to drop it
    assert stack.sweep([account]) == {"accounts": 1, "failed": [], "enqueued": 0}  # the ledger knows it
    # And the other way round: the sweep first, the webhook late (once the sweep's message is done, the
    # queue's deduplication no longer drops it: the ledger does).
    late_repost, late_source = 5_000_000_000_000_000_012, 5_000_000_000_000_000_912
    post_on_x(stack, account, late_repost, late_source)
    assert stack.sweep([account])["enqueued"] == 1
    undone(store, account, late_repost)
    ledger = InspectionLedger(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.ledger_table)
    entry = ledger.entry(business_key(account, str(late_repost)))
    assert entry is not None and entry.found_by == "sweep"
    assert deliver(stack, [signed_retweet(account, late_repost, late_source)]) == [200]
    wait_for(lambda: inspect_queue_is_empty(stack), timeout=30)  # the late delivery was inspected: skipped
    assert unretweets_of(stack, account, source) == [200] and unretweets_of(stack, account, late_source) == [200]
    (incident,) = [i for i in store.list_by_account(account).incidents if i.post_id == str(late_repost)]
    assert incident.undo_attempts == 1


def test_the_checkpoint_survives_x_failing_mid_sweep_and_the_next_sweep_finds_the_post(
    stack: LocalStack, store: IncidentStore, checkpoints: SweepCheckpoints
) -> None:
    account, repost, source = ACCOUNTS[0], 5_000_000_000_000_000_101, 5_000_000_000_000_000_991
    stack.sweep([account])
    before = checkpoints.since_id(account)
    post_on_x(stack, account, repost, source, ago=120)  # the oldest: on the second page
    made = (datetime.now(UTC) - timedelta(seconds=60)).isoformat().replace("+00:00", "Z")
    for n in range(100):  # a hundred newer ordinary posts fill the first page
        stack.x.publish({"id": str(repost + 1 + n), "author_id": account, "text": "Road closed", "created_at": made})
    stack.x.fail_next(500, after=1)  # the first page answers, the second fails
    assert stack.sweep([account]) == {"accounts": 1, "failed": [account], "enqueued": 0}
    assert checkpoints.since_id(account) == before
    assert store.get(Incident.id_for(account, str(repost))) is None
    assert stack.sweep([account]) == {"accounts": 1, "failed": [], "enqueued": 1}
    undone(store, account, repost)
    assert checkpoints.since_id(account) == str(repost + 100)


def test_takedown_sweep_from_a_terminal_with_the_ready_lines_environment(
    stack: LocalStack, store: IncidentStore
) -> None:
    account, repost, source = ACCOUNTS[1], 5_000_000_000_000_000_201, 5_000_000_000_000_000_981
    post_on_x(stack, account, repost, source)
    env = {**os.environ, **stack.ready_line()["env"]}
    ran = subprocess.run(
        [str(Path(sys.executable).parent / "takedown"), "sweep", "--account", account, "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    (report,) = [json.loads(line) for line in ran.stdout.splitlines()]
    assert (report["outcome"], report["enqueued"], report["since_id"]) == ("swept", 1, str(repost))
    incident = undone(store, account, repost)
    assert incident.evidence is not None and incident.evidence.origin == "sweep"
