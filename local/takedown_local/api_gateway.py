"""API Gateway HTTP API on the local stack: HTTP requests in, payload format 2.0 events out.

`http_api_event` writes the event Lambda receives for one request (used for the `events/` files
too); `WebhookServer` serves the real webhook handler behind it on loopback, as
`sam local start-api` does, so that the handler runs unchanged.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from types import ModuleType

from werkzeug.wrappers import Request, Response

from takedown.webhook import WEBHOOK_PATH
from takedown_local.lambda_runtime import LambdaContext
from takedown_local.standins.server import LoopbackServer

_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")


def http_api_event(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    at: datetime | None = None,
) -> dict:
    """The event for one request. Like API Gateway, a body that is not text is base64-encoded."""
    at = at or datetime.now(UTC)
    lowered = {name.lower(): value for name, value in headers.items()}
    content_type = lowered.get("content-type", "")
    as_text = content_type.startswith(_TEXT_TYPES) and _is_utf8(body)
    query: dict[str, str] = {}
    for pair in filter(None, raw_query.split("&")):
        name, _, value = pair.partition("=")
        query[name] = f"{query[name]},{value}" if name in query else value
    request_id = request_id or str(uuid.uuid4())
    event: dict = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": lowered.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": at.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(at.timestamp() * 1000),
        },
        "isBase64Encoded": not as_text,
    }
    if query:
        event["queryStringParameters"] = query
    if body:
        event["body"] = body.decode("utf-8") if as_text else base64.b64encode(body).decode("ascii")
    return event


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class WebhookServer(LoopbackServer):
    """HTTP in, API Gateway HTTP API v2 event to the real handler, its response out.

    Lambda gives an execution environment one event at a time, and Powertools relies on it: the
    resolver keeps the current event in a class attribute (`BaseRouter.current_event`), one per
    process. Requests arrive here on concurrent threads of one process, so they are handed to the
    handler one at a time, as a single Lambda environment would take them; letting them overlap
    paired one request's body with another's signature (401 bad_signature under parallel senders,
    mostly at a cold start, when the first requests wait on Secrets Manager mid-handler).
    """

    def __init__(self, handler: ModuleType, port: int = 0) -> None:
        super().__init__(port)
        self._handler = handler
        self._one_event_at_a_time = threading.Lock()

    def handle(self, request: Request) -> Response:
        if request.path != WEBHOOK_PATH:
            return Response('{"message":"Not Found"}', status=404, content_type="application/json")
        event = http_api_event(
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            dict(request.headers),
            request.get_data(cache=False),
            source_ip=request.remote_addr or "127.0.0.1",
        )
        with self._one_event_at_a_time:
            result = self._handler.lambda_handler(event, LambdaContext(function_name="takedown-webhook"))
        return Response(result.get("body") or "", status=result["statusCode"], headers=result.get("headers"))
