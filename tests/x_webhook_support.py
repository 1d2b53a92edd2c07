"""A webhook that answers X as Takedown's does, for tests of registration, deliveries and replay."""

from __future__ import annotations

import json
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from takedown.webhook.signature import crc_response_token, verify_signature
from takedown_local.standins.server import LoopbackServer, json_response


class FakeWebhook(LoopbackServer):
    """A webhook as Takedown's answers X: the CRC from the consumer secret, signed POSTs recorded.

    `crc` is "right", "wrong" or "broken" (a 500); `delivery_delay` holds each POST's answer.
    """

    def __init__(self, consumer_secret: str) -> None:
        super().__init__()
        self.consumer_secret = consumer_secret
        self.crc = "right"
        self.delivery_delay = 0.0
        self.crc_checks: list[bool] = []  # whether each CRC GET was signed over its query string
        self.received: list[tuple[dict[str, Any], bool]] = []  # (body, signature verified)

    @property
    def address(self) -> str:
        return self.url + "/webhooks/x"

    def handle(self, request: Request) -> Response:
        if request.method == "GET":
            signature = request.headers.get("x-twitter-webhooks-signature")
            self.crc_checks.append(verify_signature(self.consumer_secret, request.query_string, signature))
            if self.crc == "broken":
                return json_response(500, {"message": "down"})
            secret = self.consumer_secret if self.crc == "right" else "another-secret"
            return json_response(200, {"response_token": crc_response_token(secret, request.args["crc_token"])})
        time.sleep(self.delivery_delay)
        body = request.get_data()
        verified = verify_signature(self.consumer_secret, body, request.headers.get("x-twitter-webhooks-signature"))
        self.received.append((json.loads(body), verified))
        return json_response(200, {"enqueued": 1})
