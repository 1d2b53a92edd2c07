"""Incident cards for Teams and their delivery: every card must pass the official Adaptive Card 1.4
schema and Teams' own rules (checked by the Teams stand-in), stay small, and never carry secrets."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from takedown.incidents.model import Incident, IncidentStatus, Resolution, StatusChange
from takedown.judgement.verdict import Contribution
from takedown.settings import ConfigurationError
from takedown.teams import (
    MAX_BODY_BYTES,
    TeamsMessage,
    TeamsNotifier,
    TeamsRejectedError,
    TeamsUnavailableError,
    build_incident_card,
)
from takedown_local.standins import TeamsStandIn
from takedown_local.standins.teams_standin import adaptive_card_validator, rejection_reason

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
REVIEW_URL = "https://takedown.example.org/incidents/1072250532645998596-1349969223154606081"
WEBHOOK_SIG = "sigDoNotLog0123456789abcdef"
WEBHOOK_URL = (
    "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/"
    f"workflows/0a1b/triggers/manual/paths/invoke?api-version=1&sig={WEBHOOK_SIG}"
)
ADULT_EXCERPT = "explicit adult words that must not be shown in full"


def make_incident(**overrides: Any) -> Incident:
    values: dict[str, Any] = {
        "incident_id": "1072250532645998596-1349969223154606081",
        "account_id": "1072250532645998596",
        "account_handle": "TweepyDev",
        "post_id": "1349969223154606081",
        "kind": "retweet",
        "source_post_id": "266367358078169089",
        "source_post_url": "https://x.com/Twitter/status/266367358078169089",
        "source_author_id": "783214",
        "source_author_handle": "Twitter",
        "category": "illegal_stream",
        "score": 0.97,
        "contributions": [
            Contribution(rule="stream-domain", version="2026.11.1", evidence="crackstreams.example"),
            Contribution(rule="ppv-fight-words", version="3", evidence="watch joshua v takam live free"),
        ],
        "text_excerpt": "LIVE NOW: Joshua v Takam free stream",
        "urls": ["https://crackstreams.example/live/joshua"],
        "status": IncidentStatus.UNDONE,
        "received_at": NOW,
        "detected_at": NOW + timedelta(milliseconds=300),
        "undone_at": NOW + timedelta(milliseconds=900),
        "time_to_takedown_ms": 1400,
    }
    values.update(overrides)
    return Incident(**values)


def card_of(message: TeamsMessage) -> dict[str, Any]:
    (attachment,) = message.body["attachments"]
    return attachment["content"]


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from nodes(value)


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    with TeamsStandIn() as standin:
        yield standin


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def mock_notifier(handler: Callable[[httpx.Request], httpx.Response], url: str = WEBHOOK_URL) -> TeamsNotifier:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return TeamsNotifier(http, url)


# --- the card ---


@pytest.mark.parametrize("status", list(IncidentStatus))
@pytest.mark.parametrize("category", ["illegal_stream", "adult"])
def test_every_card_passes_the_adaptive_card_14_schema_and_teams_rules(status: IncidentStatus, category: str) -> None:
    message = build_incident_card(make_incident(status=status, category=category, last_error="HTTP 401"), REVIEW_URL)
    assert message.body["type"] == "message"
    assert message.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert message.body["attachments"][0]["contentUrl"] is None
    card = card_of(message)
    assert list(adaptive_card_validator().iter_errors(card)) == []
    assert card["version"] == "1.4"
    assert rejection_reason(message.content) is None


def test_the_message_is_encoded_once_as_compact_utf8_json() -> None:
    message = build_incident_card(make_incident(text_excerpt="LIVE 🔴 Joshua v Takam"), None)
    assert message.content == json.dumps(message.body, ensure_ascii=False, separators=(",", ":")).encode()
    assert "🔴".encode() in message.content  # UTF-8, not \\u escapes: the size limit counts these bytes


def test_card_shows_what_was_taken_down_and_why() -> None:
    body = build_incident_card(make_incident(), REVIEW_URL, account_name="Tweepy developers").body
    text = json.dumps(body)
    facts = {fact["title"]: fact["value"] for node in nodes(body) for fact in node.get("facts", [])}
    assert facts["Account"] == "@TweepyDev (Tweepy developers)"
    assert facts["What"] == "Retweeted a post by @Twitter"
    assert facts["Why"] == "stream-domain: crackstreams.example and 1 more"
    assert facts["Done"] == "Undone on X 1.4 seconds after it was posted"
    assert facts["Detected"] == "Tue 24 Nov 2026, 12:00:00 GMT"  # Europe/London by default
    for reason in ("stream-domain: ", "ppv-fight-words: ", "crackstreams.example", "joshua v takam"):
        assert reason in text
    assert "confirm it, or mark it a false positive and restore it" in text


def shown_text(card: dict[str, Any]) -> str:
    """Every text a reader sees in the card's body (facts, text blocks and runs), not its URLs or ids."""
    seen: list[str] = []
    for node in nodes(card["body"]):
        seen += [str(node[key]) for key in ("text", "title", "value") if key in node]
    return " ".join(seen)


@pytest.mark.parametrize("status", list(IncidentStatus))
def test_no_raw_ids_or_hashes_are_shown(status: IncidentStatus) -> None:
    incident = make_incident(
        status=status,
        contributions=[
            Contribution(rule="stream-domain", version="9f86d081884c7d659a2feaa0c55ad015", evidence="x.example")
        ],
        last_error="X answered 403 for post 1349969223154606081",
        undo_attempts=3,
    )
    text = shown_text(card_of(build_incident_card(incident, REVIEW_URL)))
    assert not re.search(r"\d{12,}|[0-9a-f]{16,}", text), text


def test_times_are_in_the_operators_time_zone() -> None:
    card = card_of(build_incident_card(make_incident(detected_at=datetime(2026, 7, 1, 8, 0, tzinfo=UTC)), None))
    assert "Wed 1 Jul 2026, 09:00:00 BST" in shown_text(card)
    tokyo = card_of(build_incident_card(make_incident(), None, zone=ZoneInfo("Asia/Tokyo")))
    assert "Tue 24 Nov 2026, 21:00:00 JST" in shown_text(tokyo)


def test_undo_failed_says_it_is_still_up_and_what_to_do() -> None:
    incident = make_incident(
        status=IncidentStatus.UNDO_FAILED, last_error="X answered 401", last_error_permanent=True, undo_attempts=2
    )
    text = shown_text(card_of(build_incident_card(incident, REVIEW_URL)))
    assert "still on X" in text and "undo the retweet now" in text and "credentials need fixing" in text
    assert "Not undone after 2 tries: X refused the account's credentials" in text


@pytest.mark.parametrize(
    ("note", "said"),
    [
        ("account in monitor mode", "The account is in monitor mode"),
        ("kill switch on (circuit breaker)", "The kill switch is on"),
        ("rule stream-domain switched to monitor", "It was held back: rule stream-domain switched to monitor"),
    ],
)
def test_monitored_says_what_held_it_back(note: str, said: str) -> None:
    incident = make_incident(
        status=IncidentStatus.MONITORED,
        undone_at=None,
        time_to_takedown_ms=None,
        history=[StatusChange(status=IncidentStatus.MONITORED, at=NOW, note=note)],
    )
    text = shown_text(card_of(build_incident_card(incident, REVIEW_URL)))
    assert said in text and f"Not undone: {note}" in text and "by hand" in text


def test_the_follow_up_says_how_it_ended() -> None:
    resolved = make_incident(
        status=IncidentStatus.RESOLVED,
        resolution=Resolution.FALSE_POSITIVE,
        resolved_by="rev@force.example",
        resolved_at=NOW + timedelta(hours=2),
    )
    text = shown_text(card_of(build_incident_card(resolved, REVIEW_URL)))
    assert "Reviewed" in text and "by rev@force.example" in text and "Restore the retweet from the console" in text
    restored = shown_text(card_of(build_incident_card(resolved.model_copy(update={"status": IncidentStatus.RESTORED}))))
    assert "the retweet is back on X" in restored and "then restored as a false positive" in restored


def test_adult_content_is_warned_of_before_the_button_that_opens_it() -> None:
    card = card_of(build_incident_card(make_incident(category="adult"), REVIEW_URL))
    assert "adult content" in card["body"][-1]["text"] and card["body"][-1]["color"] == "attention"
    assert card["actions"][0]["title"] == "View the post on X (adult content)"


def test_buttons_are_open_url_only_and_review_link_is_optional() -> None:
    with_review = card_of(build_incident_card(make_incident(), REVIEW_URL))["actions"]
    without_review = card_of(build_incident_card(make_incident(), None))["actions"]
    assert {action["type"] for action in with_review + without_review} == {"Action.OpenUrl"}
    assert [action["url"] for action in with_review] == [
        "https://x.com/Twitter/status/266367358078169089",
        REVIEW_URL,
    ]
    assert [action["url"] for action in without_review] == ["https://x.com/Twitter/status/266367358078169089"]


def test_huge_evidence_still_fits_under_28_kb() -> None:
    incident = make_incident(
        contributions=[Contribution(rule=f"rule-{n}", version="1", evidence="x" * 5000) for n in range(3000)],
        urls=[f"https://stream{n}.example/{'p' * 500}" for n in range(800)],
        text_excerpt="y" * 50_000,
        last_error="e" * 10_000,
        status=IncidentStatus.UNDO_FAILED,
    )
    message = build_incident_card(incident, REVIEW_URL)
    assert len(message.content) <= MAX_BODY_BYTES < 28 * 1024
    assert rejection_reason(message.content) is None
    assert "more reasons" in json.dumps(message.body)


def test_multibyte_evidence_is_measured_in_bytes() -> None:
    incident = make_incident(
        contributions=[Contribution(rule=f"r{n}", version="1", evidence="🔴" * 300) for n in range(400)],
        text_excerpt="🔴" * 2000,
    )
    assert len(build_incident_card(incident, None).content) <= MAX_BODY_BYTES


def test_adult_text_is_masked() -> None:
    incident = make_incident(
        category="adult",
        contributions=[Contribution(rule="adult-words", version="5", evidence=ADULT_EXCERPT)],
        text_excerpt=ADULT_EXCERPT,
        urls=["https://explicit-site.example/video"],
    )
    text = json.dumps(build_incident_card(incident, REVIEW_URL).body, ensure_ascii=False)
    assert "explicit adult" not in text
    assert "explicit-site" not in text
    assert f"exp… ({len(ADULT_EXCERPT)} chars, masked)" in text
    assert "link to exp… (21 chars, masked)" in text  # the host explicit-site.example, masked
    assert "adult-words: " in text


def test_text_from_x_is_never_rendered_as_markdown() -> None:
    injected = "[Reset your password](https://phish.example/login) **now**"
    body = build_incident_card(
        make_incident(text_excerpt=injected, contributions=[Contribution(rule="r", version="1", evidence=injected)]),
        None,
    ).body
    holders = [node["type"] for node in nodes(body) if injected in node.values()]
    assert holders == ["TextRun", "TextRun"]


def test_the_webhook_url_goes_only_in_the_request_url(caplog: pytest.LogCaptureFixture) -> None:
    """The URL is the credential: the notifier sends the built bytes unchanged, puts the URL in
    nothing else it sends, and keeps httpx from logging it (httpx logs every URL at INFO)."""
    caplog.set_level(logging.DEBUG, logger="httpx")
    sent: list[httpx.Request] = []
    notifier = mock_notifier(lambda request: sent.append(request) or httpx.Response(202))
    message = build_incident_card(make_incident(last_error="XAuthError", status=IncidentStatus.UNDO_FAILED), None)
    notifier.send(message)
    (request,) = sent
    assert request.url == httpx.URL(WEBHOOK_URL)
    assert request.content == message.content
    assert all(WEBHOOK_SIG not in value for value in request.headers.values())
    assert WEBHOOK_SIG not in caplog.text + repr(notifier)


# --- delivery ---


def test_card_is_accepted_202_and_recorded(teams: TeamsStandIn, http: httpx.Client) -> None:
    message = build_incident_card(make_incident(), REVIEW_URL)
    TeamsNotifier(http, teams.webhook_url).send(message)
    assert teams.cards == [card_of(message)]
    assert http.get(f"{teams.url}/_standin/cards").json() == [card_of(message)]


def test_200_is_accepted_too() -> None:
    sent: list[httpx.Request] = []
    notifier = mock_notifier(lambda request: sent.append(request) or httpx.Response(200))
    notifier.send(build_incident_card(make_incident(), None))
    assert len(sent) == 1


def test_429_is_transient(teams: TeamsStandIn, http: httpx.Client) -> None:
    teams.fail_next(status=429, retry_after=3)
    notifier = TeamsNotifier(http, teams.webhook_url)
    with pytest.raises(TeamsUnavailableError) as raised:
        notifier.send(build_incident_card(make_incident(), None))
    assert raised.value.status == 429
    assert teams.cards == []
    notifier.send(build_incident_card(make_incident(), None))
    assert len(teams.cards) == 1


def test_server_errors_are_transient_until_they_pass(teams: TeamsStandIn, http: httpx.Client) -> None:
    teams.fail_next(status=503, times=2)
    notifier = TeamsNotifier(http, teams.webhook_url)
    message = build_incident_card(make_incident(), None)
    for _ in range(2):
        with pytest.raises(TeamsUnavailableError) as raised:
            notifier.send(message)
        assert raised.value.status == 503
    notifier.send(message)
    assert len(teams.cards) == 1


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
def test_timeouts_and_connection_failures_are_transient_and_hide_the_url(
    failure: httpx.TransportError,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(TeamsUnavailableError) as raised:
        mock_notifier(handler).send(build_incident_card(make_incident(), None))
    assert WEBHOOK_SIG not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_wrong_signature_is_rejected_without_showing_it(teams: TeamsStandIn, http: httpx.Client) -> None:
    wrong = teams.webhook_url.replace("sig=", "sig=x")
    notifier = TeamsNotifier(http, wrong)
    with pytest.raises(TeamsRejectedError) as raised:
        notifier.send(build_incident_card(make_incident(), None))
    assert raised.value.status == 401
    assert "sig" not in f"{raised.value} {notifier!r}"
    assert teams.cards == []


def test_oversized_body_is_refused_before_sending() -> None:
    sent: list[httpx.Request] = []
    notifier = mock_notifier(lambda request: sent.append(request) or httpx.Response(202))
    huge = TeamsMessage.of({"type": "message", "attachments": [{"padding": "z" * 40_000}]})
    with pytest.raises(TeamsRejectedError, match="over"):
        notifier.send(huge)
    assert sent == []


@pytest.mark.parametrize(
    "url",
    [
        "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=s",
        WEBHOOK_URL,
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",
    ],
)
def test_webhook_hosts_are_not_pinned(url: str) -> None:
    sent: list[httpx.Request] = []
    mock_notifier(lambda request: sent.append(request) or httpx.Response(202), url).send(
        build_incident_card(make_incident(), None)
    )
    assert [request.url for request in sent] == [httpx.URL(url)]


@pytest.mark.parametrize("url", ["http://prod-01.westeurope.logic.azure.com/workflows/abc?sig=s", "ftp://h/x"])
def test_webhook_must_be_https_off_loopback(url: str, http: httpx.Client) -> None:
    with pytest.raises(ConfigurationError) as raised:
        TeamsNotifier(http, url)
    assert "sig" not in str(raised.value)


# --- the stand-in's own checks ---


def post_raw(teams: TeamsStandIn, http: httpx.Client, body: object) -> httpx.Response:
    return http.post(teams.webhook_url, json=body)


def with_card(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def test_standin_rejects_action_submit(teams: TeamsStandIn, http: httpx.Client) -> None:
    card = card_of(build_incident_card(make_incident(), None))
    card["actions"].append({"type": "Action.Submit", "title": "Confirm", "data": {"ok": True}})
    answer = post_raw(teams, http, with_card(card))
    assert answer.status_code == 400
    assert "Action.Submit" in answer.json()["error"]["message"]
    with pytest.raises(TeamsRejectedError) as raised:
        TeamsNotifier(http, teams.webhook_url).send(TeamsMessage.of(with_card(card)))
    assert raised.value.status == 400
    assert teams.cards == []


def test_standin_rejects_nested_non_openurl_actions(teams: TeamsStandIn, http: httpx.Client) -> None:
    card = card_of(build_incident_card(make_incident(), None))
    card["body"].append({"type": "ActionSet", "actions": [{"type": "Action.ToggleVisibility", "targetElements": []}]})
    assert "Action.ToggleVisibility" in post_raw(teams, http, with_card(card)).json()["error"]["message"]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda card: card["body"].append({"type": "TextBlock"}), "schema"),
        (lambda card: card["body"].append({"type": "Marquee", "text": "hi"}), "schema"),
        (lambda card: card.update(msteams={"width": "Full"}), "schema"),
        (lambda card: card.update(version="1.5"), "version"),
    ],
    ids=["textblock-without-text", "unknown-element", "unknown-property", "version-1.5"],
)
def test_standin_rejects_invalid_cards(
    teams: TeamsStandIn, http: httpx.Client, mutate: Callable[[dict[str, Any]], None], reason: str
) -> None:
    card = card_of(build_incident_card(make_incident(), None))
    mutate(card)
    answer = post_raw(teams, http, with_card(card))
    assert answer.status_code == 400
    assert reason in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"attachments": []},
        {"type": "message", "attachments": []},
        {"type": "message", "attachments": [{"contentType": "application/json", "content": {}}]},
        ["not", "an", "object"],
    ],
)
def test_standin_rejects_bodies_that_are_not_card_messages(
    teams: TeamsStandIn, http: httpx.Client, body: object
) -> None:
    assert post_raw(teams, http, body).status_code == 400


def test_standin_rejects_28_kb_and_more(teams: TeamsStandIn, http: httpx.Client) -> None:
    card = card_of(build_incident_card(make_incident(), None))
    card["body"].append({"type": "TextBlock", "text": "p" * (28 * 1024)})
    answer = post_raw(teams, http, with_card(card))
    assert answer.status_code == 400
    assert "28 KB" in answer.json()["error"]["message"]


def test_standin_fault_for_one_card_spares_the_others(teams: TeamsStandIn, http: httpx.Client) -> None:
    notifier = TeamsNotifier(http, teams.webhook_url)
    target = make_incident(incident_id="1-target")
    teams.fail_next(503, times=2, matching=target.incident_id)
    notifier.send(build_incident_card(make_incident(incident_id="1-other"), None))
    for _ in range(2):
        with pytest.raises(TeamsUnavailableError):
            notifier.send(build_incident_card(target, None))
    notifier.send(build_incident_card(target, None))
    assert [card["body"][0]["id"] for card in teams.cards] == ["incident-1-other", "incident-1-target"]
