"""From receipt to incident and to undo, through the local stack (issue 11's "Done when").

Receipt is when the webhook received the POST (`received_at`), the incident is recorded at its
`detected_at` (inspection writes it at once, whatever X is doing), the undo at its `undone_at` (X
answered the unretweet). Two loads, on one stack with five subscribed accounts in enforce mode:

- steady: one bad retweet per second for one account, for STEADY_POSTS seconds;
- burst: 120 bad retweets for one account and 30 for each of three others, sent by 8 parallel
  senders. X allows 50 unretweets per 15 minutes per account; the stand-in keeps that limit with the
  window shortened to WINDOW seconds, so the burst account's first 50 are undone at once and the rest
  after the window resets: its figures say how long X made them wait, the others' that nobody waited.

The stack runs in this process (threads for the webhook, the SQS and stream pollers), with moto's
SQS and DynamoDB Local: the figures measure the pipeline's shape and our code, not AWS's latencies.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.context import emit_quietly
from takedown.incidents.model import Incident, IncidentStatus
from takedown.incidents.store import IncidentStore
from takedown_local.dynamodb_local import local_client
from takedown_local.stack import LocalStack, StackOptions, wait_for
from takedown_local.traffic import deliver, incidents, percentile, signed_retweet

STEADY_POSTS = 40  # one per second; under X's 50 per window, so none waits for X
BURST, OTHERS = 120, 30
WINDOW = 60  # seconds: the stand-in's rate window (X's is 15 minutes)
STEADY_ACCOUNT = "6000000000000000009"
BURST_ACCOUNTS = ("6000000000000000001", "6000000000000000002", "6000000000000000003", "6000000000000000004")


def main() -> None:
    emit_quietly(run)


def run() -> list[tuple]:
    options = StackOptions(
        account_ids=(STEADY_ACCOUNT, *BURST_ACCOUNTS),
        x_rate_window_seconds=WINDOW,
        breaker_max_undos=100_000,  # the circuit breaker would (rightly) hold a burst back: measure the pipeline
    )
    with LocalStack(options) as stack:
        store = IncidentStore(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.incidents_table)
        steady = [(STEADY_ACCOUNT, 7_000_000_000_000_000_000 + n) for n in range(STEADY_POSTS)]
        for account, post in steady:
            started = time.monotonic()
            assert deliver(stack, [signed_retweet(account, post, post + 1)], senders=1) == [200]
            time.sleep(max(0.0, 1 - (time.monotonic() - started)))
        steady_done = _all_undone(store, steady, timeout=120)

        burst = [(BURST_ACCOUNTS[0], 7_100_000_000_000_000_000 + n) for n in range(BURST)]
        burst += [
            (account, 7_200_000_000_000_000_000 + i * 1000 + n)
            for i, account in enumerate(BURST_ACCOUNTS[1:])
            for n in range(OTHERS)
        ]
        bodies = [signed_retweet(account, post, post + 1) for account, post in burst]
        assert deliver(stack, bodies, senders=8) == [200] * len(bodies)
        burst_done = _all_undone(store, burst, timeout=4 * WINDOW + 120)

    first, others = (
        [i for i in burst_done if i.account_id == BURST_ACCOUNTS[0]],
        [i for i in burst_done if i.account_id != BURST_ACCOUNTS[0]],
    )
    steady_context = {"posts": STEADY_POSTS, "sent": "one per second, one account"}
    burst_context = {
        "posts": len(burst),
        "sent": f"{BURST} for one account + {OTHERS} for each of three others, 8 parallel senders",
    }
    figures: list[tuple] = []
    figures += _percentiles("steady_receipt_to_incident", _seconds(steady_done, "detected_at"), steady_context)
    figures += _percentiles("steady_receipt_to_undo", _seconds(steady_done, "undone_at"), steady_context)
    figures += _percentiles("burst_receipt_to_incident", _seconds(burst_done, "detected_at"), burst_context)
    figures += _percentiles(
        "burst_receipt_to_undo_other_accounts",
        _seconds(others, "undone_at"),
        {**burst_context, "measured": f"the {len(others)} posts of the three accounts with 30 each"},
    )
    figures += _percentiles(
        "burst_receipt_to_undo_burst_account",
        _seconds(first, "undone_at"),
        {
            **burst_context,
            "measured": f"the {BURST} posts of the burst account: 50 in X's first window, the rest after its reset",
            "x_rate_window_seconds": WINDOW,
        },
    )
    return figures


def _all_undone(store: IncidentStore, keys: list[tuple[str, int]], timeout: float) -> list[Incident]:
    def done() -> list[Incident] | None:
        found = incidents(store, keys)
        ready = [i for i in found if i is not None and i.status is IncidentStatus.UNDONE]
        return ready if len(ready) == len(keys) else None

    result: list[Incident] = wait_for(done, timeout=timeout, interval=0.5)
    return result


def _seconds(found: list[Incident], at: str) -> list[float]:
    return [(getattr(i, at) - i.received_at).total_seconds() for i in found]


def _percentiles(name: str, values: list[float], context: dict) -> list[tuple]:
    return [(f"{name}_p{q}", percentile(values, q) * 1000, "ms", context) for q in (50, 99)]


if __name__ == "__main__":
    main()
