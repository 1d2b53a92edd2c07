"""Write `events/*.json`: API Gateway HTTP API events for `sam local invoke -e events/<file>.json`.

The bodies in events/payloads/ are X-shaped webhook deliveries (compact, `\\/`-escaped, as X sends
them); each event carries X's signature made with SAMPLE_CONSUMER_SECRET, the consumer secret the
local stack and `events/env.json` use. Run `takedown-local events` (`make events`) after editing a
payload; a test checks the committed events match.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from takedown.webhook import SIGNATURE_HEADER, WEBHOOK_PATH, crc_response_token, sign
from takedown_local import EVENTS_DIR
from takedown_local.api_gateway import http_api_event

SAMPLE_CONSUMER_SECRET = "takedown-local-consumer-secret"  # noqa: S105 - a documented test value
X_SOURCE_IP = "199.16.157.172"  # one of X's webhook senders, as in a real CRC capture
_AT = datetime(2026, 11, 21, 20, 15, 0, tzinfo=UTC)

# event file -> (payload file, whether the signature is forged)
SIGNED_POSTS = {
    "webhook_aaa_retweet_illegal_stream.json": ("aaa_retweet_illegal_stream.json", False),
    "webhook_aaa_quote_adult.json": ("aaa_quote_adult.json", False),
    "webhook_aaa_retweet_by_someone_else.json": ("aaa_retweet_of_account_by_someone_else.json", False),
    "webhook_xaa_post_create_repost.json": ("xaa_post_create_repost_illegal_stream.json", False),
    "webhook_forged_signature.json": ("aaa_retweet_illegal_stream.json", True),
}
CRC_TOKEN = "ZmFrZS1jcmMtdG9rZW4tZm9yLWxvY2FsLWRlbW8"  # noqa: S105 - X sends a random token; any works


def build_events() -> dict[str, dict]:
    """Every sample event, by file name."""
    events: dict[str, dict] = {}
    for index, (name, (payload, forged)) in enumerate(sorted(SIGNED_POSTS.items())):
        body = (EVENTS_DIR / "payloads" / payload).read_bytes()
        secret = "not-the-consumer-secret" if forged else SAMPLE_CONSUMER_SECRET  # noqa: S105
        headers = {
            "content-type": "application/json; charset=utf-8",
            "host": "abc123.execute-api.eu-west-2.amazonaws.com",
            "user-agent": "Twitter-Webhooks/1.0",
            SIGNATURE_HEADER: sign(secret, body),
        }
        events[name] = http_api_event(
            "POST",
            WEBHOOK_PATH,
            "",
            headers,
            body,
            source_ip=X_SOURCE_IP,
            request_id=f"sample-{index}",
            at=_AT,
        )
    query = f"crc_token={CRC_TOKEN}&nonce=MTY1MDI1NzEyMjc1Nw"
    events["webhook_crc.json"] = http_api_event(
        "GET",
        WEBHOOK_PATH,
        query,
        {
            "host": "abc123.execute-api.eu-west-2.amazonaws.com",
            "user-agent": "Twitter-CRC/1.0",
            SIGNATURE_HEADER: sign(SAMPLE_CONSUMER_SECRET, query.encode()),
        },
        b"",
        source_ip=X_SOURCE_IP,
        request_id="sample-crc",
        at=_AT,
    )
    return events


def expected_crc_response() -> dict:
    return {"response_token": crc_response_token(SAMPLE_CONSUMER_SECRET, CRC_TOKEN)}


def main() -> None:
    for name, event in build_events().items():
        (EVENTS_DIR / name).write_text(json.dumps(event, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote events/{name}")


if __name__ == "__main__":
    main()
