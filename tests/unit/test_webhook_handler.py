"""The webhook Lambda handler end to end on moto's Secrets Manager and SQS, with the events/ files."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
from collections.abc import Iterator
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

from takedown.webhook import MAX_BODY_BYTES, PostEvent, sign
from takedown_local.lambda_runtime import LambdaContext, load_function
from takedown_local.sample_events import SAMPLE_CONSUMER_SECRET, expected_crc_response
from tests.conftest import EVENTS, FIXTURES
from tests.evidence_support import evidence_bucket


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    with mock_aws():
        secrets = boto3.client("secretsmanager")
        secret = secrets.create_secret(
            Name="takedown/x-consumer",
            SecretString=json.dumps({"consumer_key": "ck", "consumer_secret": SAMPLE_CONSUMER_SECRET}),
        )
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="inspect.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        monkeypatch.setenv("X_CONSUMER_SECRET_ID", secret["ARN"])
        monkeypatch.setenv("INSPECT_QUEUE_URL", queue_url)
        evidence = evidence_bucket()
        for name, value in evidence["env"].items():
            monkeypatch.setenv(name, value)
        yield {"sqs": sqs, "queue_url": queue_url, "evidence": evidence}


@pytest.fixture
def webhook(aws: dict) -> ModuleType:
    return load_function("webhook")


def _event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def _post(body: bytes, signature: str | None = None, base64_encoded: bool = False) -> dict:
    event = _event("webhook_aaa_retweet_illegal_stream.json")
    event["headers"].pop("x-twitter-webhooks-signature")
    if signature is not None:
        event["headers"]["x-twitter-webhooks-signature"] = signature
    event["body"] = base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8", "replace")
    event["isBase64Encoded"] = base64_encoded
    return event


def _invoke(webhook: ModuleType, event: dict, context: LambdaContext) -> tuple[int, dict]:
    response = webhook.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"] or "null")


def _drain(aws: dict) -> list[dict]:
    messages = []
    while (
        batch := aws["sqs"]
        .receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10, AttributeNames=["All"])
        .get("Messages")
    ):
        messages.extend(batch)
        for message in batch:
            aws["sqs"].delete_message(QueueUrl=aws["queue_url"], ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_crc_challenge(webhook: ModuleType, lambda_context: LambdaContext) -> None:
    assert _invoke(webhook, _event("webhook_crc.json"), lambda_context) == (200, expected_crc_response())


def test_crc_without_token_is_400(webhook: ModuleType, lambda_context: LambdaContext) -> None:
    event = _event("webhook_crc.json")
    event["rawQueryString"] = "nonce=1"
    event["queryStringParameters"] = {"nonce": "1"}
    event["headers"]["x-twitter-webhooks-signature"] = sign(SAMPLE_CONSUMER_SECRET, b"nonce=1")
    assert _invoke(webhook, event, lambda_context) == (400, {"error": "malformed_delivery"})


def test_crc_with_a_forged_get_signature_is_401(webhook: ModuleType, lambda_context: LambdaContext) -> None:
    event = _event("webhook_crc.json")
    event["headers"]["x-twitter-webhooks-signature"] = sign("wrong", event["rawQueryString"].encode())
    assert _invoke(webhook, event, lambda_context)[0] == 401


@pytest.mark.parametrize(
    ("event_name", "post_id", "kind"),
    [
        ("webhook_aaa_retweet_illegal_stream.json", "924390555566667777", "retweet"),
        ("webhook_aaa_quote_adult.json", "930381800000000456", "quote"),
        ("webhook_xaa_post_create_repost.json", "2090000000000000101", "retweet"),
    ],
)
def test_signed_candidates_are_enqueued(
    webhook: ModuleType,
    aws: dict,
    lambda_context: LambdaContext,
    event_name: str,
    post_id: str,
    kind: str,
) -> None:
    assert _invoke(webhook, _event(event_name), lambda_context) == (200, {"enqueued": 1})
    (message,) = _drain(aws)
    body = json.loads(message["Body"])
    assert (body["post_id"], body["kind"], body["account_id"]) == (post_id, kind, "1000000000000000001")
    assert message["Attributes"]["MessageGroupId"] == f"1000000000000000001-{post_id}"
    assert message["Attributes"]["MessageDeduplicationId"] == f"1000000000000000001-{post_id}"


def test_someone_elses_retweet_is_acknowledged_and_not_enqueued(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext
) -> None:
    assert _invoke(webhook, _event("webhook_aaa_retweet_by_someone_else.json"), lambda_context) == (
        200,
        {"enqueued": 0},
    )
    assert _drain(aws) == []


def test_base64_encoded_body_is_decoded_before_the_check(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext
) -> None:
    body = (EVENTS / "payloads" / "aaa_quote_adult.json").read_bytes()
    event = _post(body, sign(SAMPLE_CONSUMER_SECRET, body), base64_encoded=True)
    assert _invoke(webhook, event, lambda_context) == (200, {"enqueued": 1})
    assert len(_drain(aws)) == 1


def _bad_signature_cases() -> list[tuple[str, bytes, str | None]]:
    body = (EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes()
    good = sign(SAMPLE_CONSUMER_SECRET, body)
    reserialised = json.dumps(json.loads(body)).encode()
    return [
        ("unsigned", body, None),
        ("forged with another secret", body, sign("guess", body)),
        ("truncated body", body[: len(body) // 2], good),
        ("re-serialised body", reserialised, good),
        ("tampered body", body.replace(b"crackstreams", b"crackstreamz"), good),
        ("signature of another body", body, sign(SAMPLE_CONSUMER_SECRET, b"{}")),
        ("empty signature", body, ""),
    ]


@pytest.mark.parametrize(("case", "body", "signature"), _bad_signature_cases(), ids=lambda v: str(v)[:30])
def test_bad_signatures_are_401_with_nothing_enqueued(
    webhook: ModuleType,
    aws: dict,
    lambda_context: LambdaContext,
    case: str,
    body: bytes,
    signature: str | None,
) -> None:
    assert _invoke(webhook, _post(body, signature), lambda_context) == (401, {"error": "bad_signature"})
    assert _drain(aws) == []


def test_forged_sample_event_is_401(webhook: ModuleType, aws: dict, lambda_context: LambdaContext) -> None:
    assert _invoke(webhook, _event("webhook_forged_signature.json"), lambda_context)[0] == 401
    assert _drain(aws) == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"neither": "envelope"}', b""])
def test_signed_but_unreadable_bodies_are_400(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext, body: bytes
) -> None:
    event = _post(body, sign(SAMPLE_CONSUMER_SECRET, body))
    assert _invoke(webhook, event, lambda_context) == (400, {"error": "malformed_delivery"})
    assert _drain(aws) == []


def test_invalid_base64_is_400(webhook: ModuleType, lambda_context: LambdaContext) -> None:
    event = _post(b"{}", sign(SAMPLE_CONSUMER_SECRET, b"{}"))
    event["isBase64Encoded"] = True
    event["body"] = "***not base64***"
    assert _invoke(webhook, event, lambda_context)[0] == 400


def test_oversized_body_is_413(webhook: ModuleType, aws: dict, lambda_context: LambdaContext) -> None:
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    event = _post(body, sign(SAMPLE_CONSUMER_SECRET, body))
    assert _invoke(webhook, event, lambda_context) == (413, {"error": "payload_too_large"})
    assert _drain(aws) == []


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(webhook: ModuleType, lambda_context: LambdaContext, method: str) -> None:
    event = _event("webhook_crc.json")
    event["requestContext"]["http"]["method"] = method
    event["routeKey"] = f"{method} /webhooks/x"
    response = webhook.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, POST"


def _multi_event_body(count: int) -> bytes:
    base = json.loads((FIXTURES / "CONSTRUCTED_aaa_tweet_create_events_retweet_by_subscribed_user.json").read_text())
    tweet = base["tweet_create_events"][0]
    events = [dict(copy.deepcopy(tweet), id_str=str(5000 + i)) for i in range(count)]
    someone_else = copy.deepcopy(tweet)
    someone_else["id_str"] = "6000"
    someone_else["user"]["id_str"] = "42"
    return json.dumps(dict(base, tweet_create_events=[*events, someone_else])).encode()


def test_every_candidate_of_a_multi_event_payload_is_enqueued_exactly_once(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext
) -> None:
    body = _multi_event_body(23)  # more than two SendMessageBatch calls' worth
    event = _post(body, sign(SAMPLE_CONSUMER_SECRET, body))
    assert _invoke(webhook, event, lambda_context) == (200, {"enqueued": 23})
    assert _invoke(webhook, event, lambda_context) == (200, {"enqueued": 23})  # X redelivers
    post_ids = sorted(json.loads(m["Body"])["post_id"] for m in _drain(aws))
    assert post_ids == [str(5000 + i) for i in range(23)]


def test_failure_to_enqueue_is_503_so_that_x_retries(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSPECT_QUEUE_URL", aws["queue_url"].replace("inspect", "missing"))
    webhook.intake.cache_clear()
    assert _invoke(webhook, _event("webhook_aaa_quote_adult.json"), lambda_context) == (
        503,
        {"error": "enqueue_failed"},
    )


def _kept(aws: dict) -> dict[str, bytes]:
    s3, bucket = aws["evidence"]["s3"], aws["evidence"]["bucket"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def test_a_delivery_is_kept_as_signed_before_its_candidates_are_enqueued(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext
) -> None:
    event = _event("webhook_aaa_retweet_illegal_stream.json")
    assert _invoke(webhook, event, lambda_context) == (200, {"enqueued": 1})

    (message,) = _drain(aws)
    source = PostEvent.model_validate_json(message["Body"]).raw_source
    assert source is not None and source.origin == "webhook"
    assert source.signature_header == event["headers"]["x-twitter-webhooks-signature"]  # kept with an incident
    kept = _kept(aws)
    assert list(kept) == [source.body.key]
    assert kept[source.body.key] == event["body"].encode()  # the bytes X signed, not re-serialised JSON
    assert hashlib.sha256(kept[source.body.key]).hexdigest() == source.body.sha256


def test_a_delivery_without_candidates_is_not_kept(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext
) -> None:
    event = _event("webhook_aaa_retweet_by_someone_else.json")
    assert _invoke(webhook, event, lambda_context) == (200, {"enqueued": 0})
    assert _kept(aws) == {}


def test_without_s3_the_delivery_is_503_so_that_x_retries_and_nothing_is_enqueued(
    webhook: ModuleType, aws: dict, lambda_context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCE_BUCKET", "evidence-bucket-gone")
    webhook.intake.cache_clear()
    event = _event("webhook_aaa_retweet_illegal_stream.json")
    assert _invoke(webhook, event, lambda_context) == (503, {"error": "evidence_unavailable"})
    assert _drain(aws) == []


def test_logs_hold_no_secret_and_no_post_text(webhook: ModuleType, lambda_context: LambdaContext) -> None:
    buffer = io.StringIO()
    webhook.logger.setLevel("INFO")  # Powertools loggers of one service share a level across loads
    previous = webhook.logger.registered_handler.setStream(buffer)
    try:
        for name in ("webhook_crc.json", "webhook_aaa_quote_adult.json", "webhook_forged_signature.json"):
            _invoke(webhook, _event(name), lambda_context)
    finally:
        webhook.logger.registered_handler.setStream(previous)
    logs = buffer.getvalue()
    assert '"message":"delivery accepted"' in logs
    assert '"reason":"bad_signature"' in logs
    assert SAMPLE_CONSUMER_SECRET not in logs
    assert "private cam" not in logs
    for name in ("webhook_crc.json", "webhook_aaa_quote_adult.json", "webhook_forged_signature.json"):
        assert _event(name)["headers"]["x-twitter-webhooks-signature"] not in logs
