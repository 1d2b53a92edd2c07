"""X's signature formula, checked against the official autohook vectors and the CRC vectors."""

from __future__ import annotations

import json

import pytest

from takedown.webhook import crc_response_token, sign, verify_signature
from tests.conftest import FIXTURES

VECTORS = json.loads((FIXTURES / "signature-vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["post_signature"], ids=lambda v: v["body"][:20])
def test_official_post_signature_vectors(vector: dict) -> None:
    body = vector["body"].encode()
    assert sign(vector["consumer_secret"], body) == vector["x-twitter-webhooks-signature"]
    assert verify_signature(vector["consumer_secret"], body, vector["x-twitter-webhooks-signature"])


@pytest.mark.parametrize("vector", VECTORS["crc"], ids=lambda v: v["crc_token"][:12])
def test_crc_vectors(vector: dict) -> None:
    assert crc_response_token(vector["consumer_secret"], vector["crc_token"]) == vector["response_token"]


@pytest.mark.parametrize("vector", VECTORS["get_signature"])
def test_get_signature_vectors(vector: dict) -> None:
    query = vector["raw_query_string"].encode()
    assert verify_signature(vector["consumer_secret"], query, vector["x-twitter-webhooks-signature"])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc=",
        "25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc=",
        "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSod=",
        "sha256=ÿÿÿ",
    ],
)
def test_wrong_or_missing_signatures_are_refused(header: str | None) -> None:
    assert not verify_signature("test", b"test=1&other_test=2", header)


def test_signature_is_over_the_exact_bytes() -> None:
    body = b'{"url":"https:\\/\\/example.com"}'
    header = sign("test", body)
    assert verify_signature("test", body, header)
    reserialised = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert reserialised != body
    assert not verify_signature("test", reserialised, header)
