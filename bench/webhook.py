"""Webhook figures: warm per-request time of the whole handler.

Warm time is the whole handler (Powertools resolver, logging, metrics, HMAC, envelope reading,
enqueueing, keeping the delivery as evidence) on moto's in-process Secrets Manager, SQS and S3, for
a typical signed retweet delivery; `in_memory_queue` replaces SQS and S3 by in-memory stand-ins.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.context import emit  # noqa: E402

WARM_REQUESTS = 2000


class _InMemoryQueue:
    """Isolates our own code's cost from the SQS client's (moto is far slower than SQS's ~5 ms)."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, candidates: list) -> None:
        self.sent += len(candidates)


class _InMemoryEvidence:
    """Likewise for S3: our own cost of keeping a delivery is hashing it (SHA-256) and naming it."""

    def keep_delivery(self, body: bytes, signature: str, received_at: object) -> object:
        from takedown.evidence import EvidenceObject, RawSource, sha256_hex

        digest = sha256_hex(body)
        return RawSource(
            origin="webhook", body=EvidenceObject(key=f"deliveries/{digest}", sha256=digest, size=len(body))
        )


def warm_request_us(in_memory_queue: bool) -> list[float]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-2",
        POWERTOOLS_SERVICE_NAME="takedown",
        POWERTOOLS_METRICS_NAMESPACE="Takedown",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    import boto3
    from moto import mock_aws

    from takedown_local.lambda_runtime import LambdaContext, load_function
    from takedown_local.sample_events import SAMPLE_CONSUMER_SECRET
    from tests.conftest import EVENTS
    from tests.evidence_support import evidence_bucket

    with mock_aws():
        secret = boto3.client("secretsmanager").create_secret(
            Name="bench", SecretString=json.dumps({"consumer_secret": SAMPLE_CONSUMER_SECRET})
        )
        queue = boto3.client("sqs").create_queue(QueueName="bench")["QueueUrl"]  # standard: no dedup
        os.environ.update(X_CONSUMER_SECRET_ID=secret["ARN"], INSPECT_QUEUE_URL=queue, **evidence_bucket()["env"])
        webhook = load_function("webhook")
        if in_memory_queue:
            from takedown.webhook import WebhookIntake

            intake = WebhookIntake(lambda: SAMPLE_CONSUMER_SECRET, _InMemoryQueue(), _InMemoryEvidence())
            webhook.intake = lambda: intake
        event = json.loads((EVENTS / "webhook_aaa_retweet_illegal_stream.json").read_text())
        context = LambdaContext()
        devnull = open(os.devnull, "w")  # noqa: SIM115 - kept open for the whole run
        webhook.logger.registered_handler.setStream(devnull)
        sys.stdout, real_stdout = devnull, sys.stdout  # metrics are printed as EMF lines
        try:
            for _ in range(50):
                webhook.lambda_handler(event, context)
            samples = []
            for _ in range(WARM_REQUESTS):
                start = time.perf_counter()
                response = webhook.lambda_handler(event, context)
                samples.append((time.perf_counter() - start) * 1e6)
                assert response["statusCode"] == 200
        finally:
            sys.stdout = real_stdout
    return samples


def main() -> None:
    for in_memory, label in ((True, "in_memory_queue"), (False, "moto_sqs")):
        warm = sorted(warm_request_us(in_memory))
        for q in (50, 99):
            emit(
                f"webhook_warm_request_p{q}",
                warm[int(len(warm) * q / 100)],
                "us",
                queue=label,
                requests=len(warm),
            )


if __name__ == "__main__":
    main()
