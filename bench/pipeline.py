"""Pipeline figures through the local stack: webhook acknowledgement over local HTTP, and time to
takedown (POST received by the webhook -> unretweet received by the X stand-in) for many events.

The stack runs in this process (threads for the webhook server, the SQS and stream pollers), so
the figures include moto's SQS and DynamoDB Local: they measure the pipeline's shape and our code,
not AWS's latencies.
"""

from __future__ import annotations

import copy
import json
import resource
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import httpx

from bench.context import emit_quietly
from takedown.webhook import sign
from takedown_local.stack import LocalStack, StackOptions, wait_for

EVENTS = 1000
PAYLOAD = json.loads((ROOT / "events" / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes())


def _envelope(index: int) -> bytes:
    envelope = copy.deepcopy(PAYLOAD)
    tweet = envelope["tweet_create_events"][0]
    tweet["id_str"] = str(3_000_000_000_000_000_000 + index)
    tweet["retweeted_status"]["id_str"] = str(2_000_000_000_000_000_000 + index)
    return json.dumps(envelope, separators=(",", ":")).replace("/", "\\/").encode()


def _percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def main() -> None:
    emit_quietly(run_pipeline)


def run_pipeline() -> list[tuple]:
    # X allows 50 undos per 15 minutes per account; the stand-in lets 1,000 through to time the pipeline.
    with LocalStack(StackOptions(x_rate_limit=EVENTS * 2)) as stack, httpx.Client(timeout=30) as http:
        url, secret = stack.ready_line()["webhook_url"], stack.options.consumer_secret
        sent_at: dict[str, float] = {}
        ack_ms: list[float] = []
        for index in range(EVENTS):
            body = _envelope(index)
            source = str(2_000_000_000_000_000_000 + index)
            started = time.perf_counter()
            sent_at[source] = time.time()
            response = http.post(url, content=body, headers={"x-twitter-webhooks-signature": sign(secret, body)})
            ack_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text

        def all_undone() -> list[dict] | None:
            calls = [c for c in stack.x.calls if c["method"] == "DELETE" and c["status"] == 200]
            return calls if len(calls) >= EVENTS else None

        calls = wait_for(all_undone, timeout=900, interval=0.5)
        takedown_ms = []
        for call in calls:
            source = call["path"].rsplit("/", 1)[1]
            at = call["at"] if isinstance(call["at"], float) else datetime.fromisoformat(call["at"]).timestamp()
            takedown_ms.append((at - sent_at[source]) * 1000)

    figures: list[tuple] = []
    for q in (50, 99):
        figures.append((f"webhook_ack_http_p{q}", _percentile(ack_ms, q), "ms", {"requests": EVENTS}))
    for q in (50, 99):
        figures.append((
            f"time_to_takedown_p{q}", _percentile(takedown_ms, q), "ms",
            {"events": EVENTS, "measured": "POST sent to webhook -> unretweet received by the X stand-in",
             "sent": "back to back, one account (one FIFO message group)"},
        ))  # fmt: skip
    figures.append(("time_to_takedown_mean", statistics.fmean(takedown_ms), "ms", {"events": EVENTS}))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures.append(("peak_rss_local_stack_process", peak, "MiB", {}))
    return figures


if __name__ == "__main__":
    main()
