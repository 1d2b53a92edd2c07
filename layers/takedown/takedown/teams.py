"""Tell the ops team in Microsoft Teams: an Adaptive Card per incident, posted to a Workflows webhook.

Office 365 connectors are retired, so cards go to a Power Automate Workflows webhook ("Post to a
channel when a webhook request is received"). Teams renders card version 1.4 reliably, allows only
`Action.OpenUrl` buttons from a webhook, and drops messages over about 28 KB. Workflows answers 202
before the flow runs, so a bad card fails silently later: cards are built to the schema here and
checked against it by the local stand-in.

    message = build_incident_card(incident, review_url="https://review.example/incidents/1-2")
    TeamsNotifier(http, webhook_url=secret_webhook_url).send(message)

`build_incident_card` is pure and encodes the message once; `TeamsNotifier.send` posts those exact
bytes, so what was measured against Teams' size limit is what goes on the wire.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from takedown.endpoint_url import require_https_or_loopback
from takedown.incidents.model import Incident, IncidentStatus

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
# Teams' limit is about 28 KB for the whole message; keep a margin for what the flow adds.
MAX_BODY_BYTES = 27 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)

# Per-item caps applied before the size budget; the budget then trims lists further if needed.
_MAX_EXCERPT_CHARS = 500
_MAX_EVIDENCE_CHARS = 300
_MAX_URL_CHARS = 200
_MAX_ERROR_CHARS = 300
_MAX_MATCHES_SHOWN = 25
_MAX_URLS_SHOWN = 10
# Adult text is shown only as a hint: enough for ops to recognise it, not enough to reproduce it.
_ADULT_VISIBLE_CHARS = 3

_CATEGORY_LABELS = {"illegal_stream": "Illegal live stream", "adult": "Adult content"}
_HEADLINES: dict[IncidentStatus, tuple[str, str]] = {
    IncidentStatus.DETECTED: ("Detected, undo in progress", "warning"),
    IncidentStatus.UNDONE: ("Undone on X", "good"),
    IncidentStatus.UNDO_FAILED: ("Undo FAILED: needs a human now", "attention"),
    IncidentStatus.MONITORED: ("Detected, NOT undone (monitor mode or kill switch)", "warning"),
    IncidentStatus.RESOLVED: ("Resolved by ops", "default"),
    IncidentStatus.RESTORED: ("False positive: repost restored", "default"),
}


class TeamsError(Exception):
    """A card that was not accepted by the webhook. Messages never contain the webhook URL."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TeamsUnavailableError(TeamsError):
    """429, 5xx, a timeout or a connection failure: the same card may be taken later."""


class TeamsRejectedError(TeamsError):
    """Any other answer (4xx, or a card too large to send): sending the same card again cannot help."""


@dataclass(frozen=True, slots=True)
class TeamsMessage:
    """One Workflows webhook body and `content`, its exact bytes on the wire (compact UTF-8 JSON),
    which is what Teams' size limit applies to. Build one with `TeamsMessage.of(body)`."""

    body: dict[str, Any]
    content: bytes

    @classmethod
    def of(cls, body: dict[str, Any]) -> TeamsMessage:
        return cls(body, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def build_incident_card(incident: Incident, review_url: str | None = None) -> TeamsMessage:
    """The Workflows webhook body for one incident: what was taken down, why, and how fast.

    Buttons are Action.OpenUrl only (view on X; the incident at `review_url` when given). The body
    stays under MAX_BODY_BYTES: matched rules and URLs beyond the caps are summarised as "N more",
    and if that is still too big the lists are trimmed further. For adult content the excerpt and
    evidence are masked to a few characters, and links to their masked host.
    """
    max_matches, max_urls, with_excerpt = _MAX_MATCHES_SHOWN, _MAX_URLS_SHOWN, True
    while True:
        message = TeamsMessage.of(_message(_card(incident, review_url, max_matches, max_urls, with_excerpt)))
        if len(message.content) <= MAX_BODY_BYTES:
            return message
        if max_matches > 1 or max_urls > 0:
            max_matches, max_urls = max(1, max_matches // 2), max_urls // 2
        elif with_excerpt:
            with_excerpt = False
        else:
            raise ValueError(f"incident {incident.incident_id} does not fit in a Teams card")


def _message(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def _card(
    incident: Incident, review_url: str | None, max_matches: int, max_urls: int, with_excerpt: bool
) -> dict[str, Any]:
    adult = incident.category == "adult"
    shown: Callable[[str, int], str] = _masked if adult else _clipped
    headline, colour = _HEADLINES[incident.status]
    category = _CATEGORY_LABELS[incident.category]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"Takedown: {category.lower()} {incident.kind}",
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {"type": "TextBlock", "text": headline, "color": colour, "weight": "Bolder", "wrap": True},
        {"type": "FactSet", "facts": _facts(incident, category)},
        {"type": "TextBlock", "text": "Why: matched rules", "weight": "Bolder", "wrap": True},
        *_matched_rules(incident, shown, max_matches),
    ]
    if with_excerpt and incident.text_excerpt:
        body.append({"type": "TextBlock", "text": "Post text", "weight": "Bolder", "wrap": True})
        body.append(_plain(shown(incident.text_excerpt, _MAX_EXCERPT_CHARS)))
    if incident.urls and max_urls > 0:
        body.append({"type": "TextBlock", "text": "Links", "weight": "Bolder", "wrap": True})
        body.extend(_plain(_shown_url(url, adult)) for url in incident.urls[:max_urls])
        if len(incident.urls) > max_urls:
            body.append(_more(len(incident.urls) - max_urls, "links"))
    if incident.status is IncidentStatus.UNDO_FAILED and incident.last_error:
        body.append({"type": "TextBlock", "text": "Last error", "weight": "Bolder", "wrap": True})
        body.append(_plain(_clipped(incident.last_error, _MAX_ERROR_CHARS)))
    actions: list[dict[str, Any]] = [
        {"type": "Action.OpenUrl", "title": "View original post on X", "url": incident.source_post_url}
    ]
    if review_url:
        actions.append({"type": "Action.OpenUrl", "title": "Open incident", "url": review_url})
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "fallbackText": f"Takedown incident {incident.incident_id}: {category}, {incident.status.value}",
        "body": body,
        "actions": actions,
    }


def _facts(incident: Incident, category: str) -> list[dict[str, str]]:
    facts = [
        ("Category", f"{category} (score {incident.score:.2f})"),
        ("Account", _who(incident.account_handle, incident.account_id)),
        ("Original author", _who(incident.source_author_handle, incident.source_author_id)),
        ("Repost", f"{incident.kind} {incident.post_id} of post {incident.source_post_id}"),
        ("Status", incident.status.value),
        ("Detected", _utc(incident.detected_at)),
        ("Time to takedown", _duration(incident.time_to_takedown_ms)),
    ]
    if incident.undo_attempts > 1:
        facts.append(("Undo attempts", str(incident.undo_attempts)))
    return [{"title": title, "value": value} for title, value in facts]


def _matched_rules(incident: Incident, shown: Callable[[str, int], str], max_matches: int) -> list[dict[str, Any]]:
    """One line per rule: id, version and its evidence. Evidence is untrusted text from X, so it
    goes in a TextRun, which Teams does not parse as markdown (no injected links)."""
    blocks = [
        {
            "type": "RichTextBlock",
            "inlines": [
                {"type": "TextRun", "text": f"{match.rule} v{match.version}: ", "weight": "Bolder"},
                {"type": "TextRun", "text": shown(match.evidence, _MAX_EVIDENCE_CHARS)},
            ],
        }
        for match in incident.contributions[:max_matches]
    ]
    if len(incident.contributions) > max_matches:
        blocks.append(_more(len(incident.contributions) - max_matches, "matched rules (see the incident)"))
    return blocks


def _plain(text: str) -> dict[str, Any]:
    """Untrusted text shown as-is: a TextRun is never parsed as markdown."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text}]}


def _more(count: int, what: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": f"… and {count} more {what}", "isSubtle": True, "wrap": True}


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown_url(url: str, adult: bool) -> str:
    """A link as evidence: in full (clipped) for streams; for adult content only its masked host."""
    if not adult:
        return _clipped(url, _MAX_URL_CHARS)
    try:
        host = httpx.URL(url).host or url
    except httpx.InvalidURL:
        host = url
    return "link to " + _masked(host, _MAX_URL_CHARS)


def _masked(text: str, _limit: int) -> str:
    """Adult text: the first few characters and its length, so ops can match it to the incident."""
    if len(text) <= _ADULT_VISIBLE_CHARS:
        return "…"
    return f"{text[:_ADULT_VISIBLE_CHARS]}… ({len(text)} chars, masked)"


def _who(handle: str | None, user_id: str | None) -> str:
    if handle and user_id:
        return f"@{handle} ({user_id})"
    return f"@{handle}" if handle else user_id or "unknown"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "not undone"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


class TeamsNotifier:
    """Posts cards to one Workflows webhook. The webhook URL is a credential (its `sig` query
    parameter authorises posting), so it is held as a SecretStr and never logged or shown."""

    def __init__(
        self,
        http: httpx.Client,
        webhook_url: str | SecretStr,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        secret = webhook_url if isinstance(webhook_url, SecretStr) else SecretStr(webhook_url)
        # The host is not pinned (Workflows moved from *.logic.azure.com to *.api.powerplatform.com).
        require_https_or_loopback(secret.get_secret_value(), name="Teams webhook URL")
        self._http = http
        self._webhook_url = secret
        self._timeout = timeout
        _silence_httpx_request_log()

    def __repr__(self) -> str:
        return "TeamsNotifier(webhook_url=SecretStr('**********'))"

    def send(self, message: TeamsMessage) -> None:
        """Post one message as encoded; return on 202/200, raise TeamsUnavailableError or TeamsRejectedError."""
        if len(message.content) > MAX_BODY_BYTES:
            raise TeamsRejectedError(f"card body is {len(message.content)} bytes, over {MAX_BODY_BYTES}")
        try:
            response = self._http.post(
                self._webhook_url.get_secret_value(),
                content=message.content,
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            # `from None`: a chained httpx error could carry the URL into a logged traceback.
            raise TeamsUnavailableError(f"Teams webhook unreachable: {type(exc).__name__}") from None
        status = response.status_code
        if status in (200, 202):  # 202: queued for the flow
            return
        if status == 429 or status >= 500:
            raise TeamsUnavailableError(f"Teams webhook answered {status}", status=status)
        raise TeamsRejectedError(f"Teams webhook answered {status} {_error_code(response)}", status=status)


def _error_code(response: httpx.Response) -> str:
    """Only the machine-readable code of a Workflows error: its message may quote the request."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return str(error.get("code", ""))[:80] if isinstance(error, dict) else ""


def _silence_httpx_request_log() -> None:
    """httpx logs every request URL at INFO; for this webhook the URL is the credential."""
    httpx_logger = logging.getLogger("httpx")
    if httpx_logger.getEffectiveLevel() < logging.WARNING:
        httpx_logger.setLevel(logging.WARNING)
