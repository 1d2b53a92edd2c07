"""Seeded fuzzing of the webhook handler: every bad input gets its 4xx, never a 500.

The kinds are the ones that found the lone-surrogate 500: forged signatures, invalid JSON and
UTF-8, deep nesting, huge bodies, lone surrogates (as text and as JSON escapes), and signed
mutations of real deliveries (which may still be valid: then 200). The seed is fixed, so a failure
names a reproducible case.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

from takedown.webhook import MAX_BODY_BYTES, sign
from takedown_local.lambda_runtime import LambdaContext, load_function
from takedown_local.sample_events import SAMPLE_CONSUMER_SECRET
from tests.conftest import EVENTS
from tests.evidence_support import evidence_bucket

SEED = 20261124
CASES_PER_KIND = 60
REAL = [
    (EVENTS / "payloads" / name).read_bytes()
    for name in (
        "aaa_retweet_illegal_stream.json",
        "aaa_quote_adult.json",
        "xaa_post_create_repost_illegal_stream.json",
    )
]


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    with mock_aws():
        secret = boto3.client("secretsmanager").create_secret(
            Name="fuzz/x-consumer", SecretString=json.dumps({"consumer_secret": SAMPLE_CONSUMER_SECRET})
        )
        queue = boto3.client("sqs").create_queue(QueueName="fuzz.fifo", Attributes={"FifoQueue": "true"})
        monkeypatch.setenv("X_CONSUMER_SECRET_ID", secret["ARN"])
        monkeypatch.setenv("INSPECT_QUEUE_URL", queue["QueueUrl"])
        for name, value in evidence_bucket()["env"].items():
            monkeypatch.setenv(name, value)
        yield load_function("webhook")


def _event(body: str, signature: str | None, base64_encoded: bool) -> dict:
    event = json.loads((EVENTS / "webhook_aaa_retweet_illegal_stream.json").read_text())
    event["headers"].pop("x-twitter-webhooks-signature")
    if signature is not None:
        event["headers"]["x-twitter-webhooks-signature"] = signature
    event["body"], event["isBase64Encoded"] = body, base64_encoded
    return event


def _bytes(raw: bytes, signed: bool, rng: random.Random) -> dict:
    signature = sign(SAMPLE_CONSUMER_SECRET, raw) if signed else _forged(rng)
    return _event(base64.b64encode(raw).decode(), signature, base64_encoded=True)


def _forged(rng: random.Random) -> str:
    return "sha256=" + base64.b64encode(rng.randbytes(32)).decode()


def forged_signature(rng: random.Random) -> dict:
    return _bytes(rng.choice(REAL), signed=False, rng=rng)


def invalid_json(rng: random.Random) -> dict:
    raw = rng.choice(REAL)
    cut = rng.randrange(1, len(raw) - 1)
    return _bytes(raw[:cut] + rng.choice([b"", b"}", b"{{", b"\x00", b",]"]), signed=True, rng=rng)


def invalid_utf8(rng: random.Random) -> dict:
    raw = bytearray(rng.choice(REAL))
    for _ in range(rng.randint(1, 5)):
        raw[rng.randrange(len(raw))] = rng.choice([0x80, 0xC0, 0xFF, 0xED, 0xF8])
    return _bytes(bytes(raw), signed=True, rng=rng)


def deep_nesting(rng: random.Random) -> dict:
    depth = rng.randint(500, 50_000)
    raw = b'{"tweet_create_events": ' + b"[" * depth + b"]" * depth + b', "for_user_id": "1"}'
    return _bytes(raw, signed=True, rng=rng)


def huge_body(rng: random.Random) -> dict:
    raw = b'{"pad": "' + b"x" * (MAX_BODY_BYTES + rng.randint(1, 4096)) + b'"}'
    return _bytes(raw, signed=rng.random() < 0.5, rng=rng)


def lone_surrogates(rng: random.Random) -> dict:
    """A text body (not base64) holding lone surrogates, or JSON escapes of them, signed as sent."""
    text = rng.choice(REAL).decode()
    at = text.index('"text"') + 9
    if rng.random() < 0.5:
        body = text[:at] + chr(rng.randint(0xD800, 0xDFFF)) + text[at:]
        signature = _forged(rng)  # such a string has no UTF-8 bytes anybody could have signed
    else:
        body = text[:at] + f"\\u{rng.randint(0xD800, 0xDFFF):04x}" + text[at:]
        signature = sign(SAMPLE_CONSUMER_SECRET, body.encode())
    return _event(body, signature, base64_encoded=False)


def signed_mutation(rng: random.Random) -> dict:
    data = json.loads(rng.choice(REAL))
    _mutate(data, rng)
    return _bytes(json.dumps(data).encode(), signed=True, rng=rng)


def _mutate(value: object, rng: random.Random) -> None:
    """Replace a few values anywhere in the tree with values of other types."""
    nodes: list[tuple[dict | list, str | int]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                nodes.append((node, key))
                walk(child)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                nodes.append((node, index))
                walk(child)

    walk(value)
    for parent, key in rng.sample(nodes, k=min(len(nodes), rng.randint(1, 4))):
        parent[key] = rng.choice([None, 0, -1, 2**70, "", "x" * 300, [], {}, True, 1.5, "\u202e", "𝕩"])  # type: ignore[index]


KINDS: dict[str, Callable[[random.Random], dict]] = {
    kind.__name__: kind
    for kind in (
        forged_signature,
        invalid_json,
        invalid_utf8,
        deep_nesting,
        huge_body,
        lone_surrogates,
        signed_mutation,
    )
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_bad_input_gets_its_4xx(webhook: ModuleType, lambda_context: LambdaContext, kind: str) -> None:
    rng = random.Random(f"{SEED}-{kind}")
    answers: dict[int, int] = {}
    for case in range(CASES_PER_KIND):
        response = webhook.lambda_handler(KINDS[kind](rng), lambda_context)
        status = response["statusCode"]
        answers[status] = answers.get(status, 0) + 1
        assert status < 500, f"{kind} case {case} (seed {SEED}) answered {status}: {response.get('body')}"
        assert status in (200, 400, 401, 413), f"{kind} case {case}: {status}"
    if kind != "signed_mutation":  # a mutation may leave a valid delivery; nothing else may pass
        assert 200 not in answers, answers
