"""The review console on the local stack: the real console handler behind API Gateway-shaped events.

In the cloud the HTTP API's JWT authorizer checks the Entra ID token and passes its claims to the
function; here, on loopback only, every request arrives signed in as the local reviewer (with the
admin role, so accounts and the kill switch can be tried too). Nothing of this ships.
"""

from __future__ import annotations

import base64
import threading
from types import ModuleType
from typing import Any

from werkzeug.wrappers import Request, Response

from takedown.console import BASE_PATH
from takedown_local.api_gateway import http_api_event
from takedown_local.lambda_runtime import LambdaContext
from takedown_local.standins.server import LoopbackServer

LOCAL_REVIEWER_CLAIMS: dict[str, Any] = {
    "preferred_username": "local-reviewer@takedown.local",
    "name": "Local reviewer",
    "roles": "[reviewer admin]",  # as API Gateway renders a list claim
}


class ConsoleServer(LoopbackServer):
    """HTTP in, an HTTP API v2 event with the local reviewer's token claims to the console handler,
    its response out. One event at a time, as one Lambda environment takes them (Powertools keeps
    the current event on the resolver class)."""

    def __init__(self, handler: ModuleType, port: int = 0) -> None:
        super().__init__(port)
        self._handler = handler
        self._one_event_at_a_time = threading.Lock()

    @property
    def review_url(self) -> str:
        """The console's queue, which a browser opens already signed in."""
        return f"{self.url}{BASE_PATH}/"

    def handle(self, request: Request) -> Response:
        if request.path != BASE_PATH and not request.path.startswith(f"{BASE_PATH}/"):
            return Response(status=302, headers={"Location": f"{BASE_PATH}/"})
        event = http_api_event(
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            dict(request.headers),
            request.get_data(cache=False),
            source_ip=request.remote_addr or "127.0.0.1",
        )
        event["queryStringParameters"] = {name: value for name, value in request.args.items()} or None
        event["requestContext"]["authorizer"] = {"jwt": {"claims": dict(LOCAL_REVIEWER_CLAIMS), "scopes": None}}
        with self._one_event_at_a_time:
            result = self._handler.lambda_handler(event, LambdaContext(function_name="takedown-console"))
        body: str | bytes = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body)
        response = Response(body, status=result["statusCode"], headers=result.get("headers"))
        for cookie in result.get("cookies") or []:
            response.headers.add("Set-Cookie", cookie)
        return response
