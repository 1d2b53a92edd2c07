"""Tell the ops team in Microsoft Teams: an Adaptive Card per incident, posted to a Workflows webhook.

Office 365 connectors are retired, so cards go to a Power Automate Workflows webhook ("Post to a
channel when a webhook request is received"). Teams renders card version 1.4 reliably, allows only
`Action.OpenUrl` buttons from a webhook, and drops messages over about 28 KB. Workflows answers 202
before the flow runs, so a bad card fails silently later: cards are built to the schema here and
checked against it by the local stand-in.

    message = build_incident_card(incident, review_url="https://review.example/console/incidents/1-2")
    TeamsNotifier(http, webhook_url=secret_webhook_url).send(message)

`build_incident_card` is pure and encodes the message once; `TeamsNotifier.send` posts those exact
bytes, so what was measured against Teams' size limit is what goes on the wire.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import httpx
from pydantic import SecretStr

from takedown.endpoint_url import require_https_or_loopback
from takedown.incidents.model import Incident, IncidentStatus, Resolution
from takedown.readable import duration, local_time, time_zone

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
# Teams' limit is about 28 KB for the whole message; keep a margin for what the flow adds.
MAX_BODY_BYTES = 27 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
_LONDON = time_zone(None)

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
_S = IncidentStatus
_HEADLINES: dict[IncidentStatus, tuple[str, str]] = {
    _S.DETECTED: ("Detected: undo in progress", "warning"),
    _S.UNDONE: ("Undone on X", "good"),
    _S.UNDO_FAILED: ("Undo FAILED: still on X, needs a human now", "attention"),
    _S.MONITORED: ("Detected but NOT undone", "warning"),
    _S.RESOLVED: ("Reviewed", "default"),
    _S.RESTORED: ("False positive: the retweet is back on X", "default"),
}
# Long numbers (X ids are 19 digits) and hex digests say nothing to a reader: the console has them.
_RAW_ID = re.compile(r"\b(?:\d{12,}|[0-9a-fA-F]{16,})\b")


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


def build_incident_card(
    incident: Incident,
    review_url: str | None = None,
    *,
    zone: tzinfo = _LONDON,
    account_name: str | None = None,
) -> TeamsMessage:
    """The Workflows webhook body for one incident: what happened, to which account, why in one
    line, what was done and what the reader should do next; for a resolved or restored incident,
    the follow-up saying how it ended.

    Buttons are Action.OpenUrl only: the incident in the review console (`review_url`) and the post
    on X (after a warning when it is adult content). Times are in `zone`; durations read as people
    say them; long ids and hashes stay out of the text (the console shows them). The body stays
    under MAX_BODY_BYTES: reasons and URLs beyond the caps are summarised as "N more", then trimmed
    further if needed. For adult content the excerpt and evidence are masked to a few characters,
    and links to their masked host.
    """
    context = _CardContext(incident, review_url, zone, account_name)
    max_matches, max_urls, with_excerpt = _MAX_MATCHES_SHOWN, _MAX_URLS_SHOWN, True
    while True:
        message = TeamsMessage.of(_message(_card(context, max_matches, max_urls, with_excerpt)))
        if len(message.content) <= MAX_BODY_BYTES:
            return message
        if max_matches > 1 or max_urls > 0:
            max_matches, max_urls = max(1, max_matches // 2), max_urls // 2
        elif with_excerpt:
            with_excerpt = False
        else:
            raise ValueError(f"incident {incident.incident_id} does not fit in a Teams card")


@dataclass(frozen=True)
class _CardContext:
    incident: Incident
    review_url: str | None
    zone: tzinfo
    account_name: str | None


def _message(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def _card(context: _CardContext, max_matches: int, max_urls: int, with_excerpt: bool) -> dict[str, Any]:
    incident = context.incident
    adult = incident.category == "adult"
    shown: Callable[[str, int], str] = _masked if adult else _clipped
    headline, colour = _HEADLINES[incident.status]
    category = _CATEGORY_LABELS[incident.category]
    account = _account(incident, context.account_name)
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "id": f"incident-{incident.incident_id}",  # not shown: lets a flow (and the stand-in) tell cards apart
            "text": f"Takedown: {category.lower()} {incident.kind} by {account}",
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {"type": "TextBlock", "text": headline, "color": colour, "weight": "Bolder", "wrap": True},
        {"type": "FactSet", "facts": _facts(context, shown)},
        {"type": "TextBlock", "text": "What to do now", "weight": "Bolder", "wrap": True},
        _plain(next_step(incident)),
    ]
    if incident.status not in (_S.RESOLVED, _S.RESTORED):
        body.append({"type": "TextBlock", "text": "Why: every reason", "weight": "Bolder", "wrap": True})
        body.extend(_reasons(incident, shown, max_matches))
        if with_excerpt and incident.text_excerpt:
            body.append({"type": "TextBlock", "text": "Post text", "weight": "Bolder", "wrap": True})
            body.append(_plain(shown(_scrubbed(incident.text_excerpt), _MAX_EXCERPT_CHARS)))
        if incident.urls and max_urls > 0:
            body.append({"type": "TextBlock", "text": "Links", "weight": "Bolder", "wrap": True})
            body.extend(_plain(_shown_url(url, adult)) for url in incident.urls[:max_urls])
            if len(incident.urls) > max_urls:
                body.append(_more(len(incident.urls) - max_urls, "links"))
        if incident.status is _S.UNDO_FAILED and incident.last_error:
            body.append({"type": "TextBlock", "text": "Last error", "weight": "Bolder", "wrap": True})
            body.append(_plain(_clipped(_scrubbed(incident.last_error), _MAX_ERROR_CHARS)))
    x_title = "View the post on X"
    if adult:
        x_title = "View the post on X (adult content)"
        body.append(
            {
                "type": "TextBlock",
                "text": "Warning: the post on X is adult content and X shows it unmasked. "
                "The review console keeps it hidden until you choose to see it.",
                "color": "attention",
                "wrap": True,
            }
        )
    actions: list[dict[str, Any]] = [{"type": "Action.OpenUrl", "title": x_title, "url": incident.source_post_url}]
    if context.review_url:
        actions.append({"type": "Action.OpenUrl", "title": "Open in the review console", "url": context.review_url})
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "fallbackText": f"Takedown: {category.lower()} {incident.kind} by {account}: {headline}",
        "body": body,
        "actions": actions,
    }


def _facts(context: _CardContext, shown: Callable[[str, int], str]) -> list[dict[str, str]]:
    incident, zone = context.incident, context.zone
    author = f"@{incident.source_author_handle}" if incident.source_author_handle else "an unknown author"
    facts = [
        ("Account", _account(incident, context.account_name)),
        ("What", f"{'Retweeted' if incident.kind == 'retweet' else 'Quoted'} a post by {author}"),
        ("Why", why_in_one_line(incident, shown)),
        ("Done", what_was_done(incident, zone)),
        ("Detected", local_time(incident.detected_at, zone)),
    ]
    if incident.posted_at:
        facts.append(("Posted", local_time(incident.posted_at, zone)))
    if incident.status in (_S.RESOLVED, _S.RESTORED) and incident.resolved_at:
        facts.append(("Reviewed", f"{local_time(incident.resolved_at, zone)} by {incident.resolved_by or 'ops'}"))
    return [{"title": title, "value": value} for title, value in facts]


def why_in_one_line(incident: Incident, shown: Callable[[str, int], str] | None = None) -> str:
    """The strongest reason, with its evidence, and how many more there are."""
    reasons = sorted(incident.contributions, key=lambda part: part.weight, reverse=True)
    if not reasons:
        return f"{_CATEGORY_LABELS[incident.category]} (score {incident.score:.2f})"
    first, show = reasons[0], shown or _clipped
    line = f"{first.rule}: {show(_scrubbed(first.evidence), 80)}"
    return line + (f" and {len(reasons) - 1} more" if len(reasons) > 1 else "")


def what_was_done(incident: Incident, zone: tzinfo) -> str:
    status = incident.status
    if status is _S.UNDONE or (status in (_S.RESOLVED, _S.RESTORED) and incident.undone_at):
        done = "Undone on X"
        if incident.time_to_takedown_ms is not None:
            done += f" {duration(incident.time_to_takedown_ms)} after it was posted"
        if status is _S.RESTORED:
            done += ", then restored as a false positive"
        return done
    if status is _S.UNDO_FAILED:
        tries = f" after {incident.undo_attempts} tries" if incident.undo_attempts > 1 else ""
        kind = "X refused the account's credentials" if incident.last_error_permanent else "X kept failing"
        return f"Not undone{tries}: {kind}"
    if status is _S.MONITORED or status is _S.RESOLVED:
        held = held_back_by(incident)
        return f"Not undone: {held}" if held else "Not undone"
    if incident.undo_scheduled_for:
        return f"Undo scheduled for {local_time(incident.undo_scheduled_for, zone)}"
    return "Undo in progress"


def held_back_by(incident: Incident) -> str | None:
    """Why a detection was only recorded (monitor mode, the kill switch, a rule the breaker held)."""
    for change in incident.history:
        if change.status is _S.MONITORED and change.note:
            return change.note
    return None


def next_step(incident: Incident) -> str:
    """What the reader should do, in one or two sentences."""
    status = incident.status
    where = "undo the retweet" if incident.kind == "retweet" else "delete the quote post"
    if status is _S.UNDO_FAILED:
        fix = (
            " The account's X credentials need fixing (ask the X account owner to re-authorise Takedown)."
            if incident.last_error_permanent
            else ""
        )
        return (
            f"It is still on X. Open the post on X as the account and {where} now, then confirm it in the console.{fix}"
        )
    if status is _S.MONITORED:
        held = held_back_by(incident) or ""
        if "kill switch" in held:
            because = "The kill switch is on, so Takedown undoes nothing anywhere."
        elif "monitor mode" in held:
            because = "The account is in monitor mode, so Takedown only records."
        elif held:
            because = f"It was held back: {held}."
        else:
            because = "It was only recorded."
        return (
            f"{because} If it is bad, {where} on X by hand and confirm it in the console; if not, mark it a "
            "false positive there."
        )
    if status is _S.UNDONE:
        return "Check it in the review console: confirm it, or mark it a false positive and restore it."
    if status is _S.DETECTED:
        return "Nothing yet: Takedown is undoing it and will post again if that fails."
    if status is _S.RESTORED:
        return "Nothing: it was a false positive and the retweet is back on X."
    resolution = incident.resolution.value.replace("_", " ") if incident.resolution else "reviewed"
    if incident.resolution is Resolution.FALSE_POSITIVE and incident.kind == "retweet":
        return f"Resolved as a {resolution}. Restore the retweet from the console if the account wants it back."
    return f"Nothing: resolved as {resolution}."


def _account(incident: Incident, name: str | None) -> str:
    handle = f"@{incident.account_handle}" if incident.account_handle else "the account"
    return f"{handle} ({name})" if name else handle


def _reasons(incident: Incident, shown: Callable[[str, int], str], max_matches: int) -> list[dict[str, Any]]:
    """One line per rule, model part or safeguard with its evidence. Evidence is untrusted text from
    X, so it goes in a TextRun, which Teams does not parse as markdown (no injected links)."""
    blocks = [
        {
            "type": "RichTextBlock",
            "inlines": [
                {"type": "TextRun", "text": f"{match.rule}: ", "weight": "Bolder"},
                {"type": "TextRun", "text": shown(_scrubbed(match.evidence), _MAX_EVIDENCE_CHARS)},
            ],
        }
        for match in incident.contributions[:max_matches]
    ]
    if len(incident.contributions) > max_matches:
        blocks.append(_more(len(incident.contributions) - max_matches, "reasons (see the console)"))
    return blocks


def _plain(text: str) -> dict[str, Any]:
    """Untrusted text shown as-is: a TextRun is never parsed as markdown."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text}]}


def _more(count: int, what: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": f"… and {count} more {what}", "isSubtle": True, "wrap": True}


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scrubbed(text: str) -> str:
    return _RAW_ID.sub("…", text)


def _shown_url(url: str, adult: bool) -> str:
    """A link as evidence: in full (clipped) for streams; for adult content only its masked host."""
    if not adult:
        return _clipped(_scrubbed(url), _MAX_URL_CHARS)
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
