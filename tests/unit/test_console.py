"""The review console: its routes, permissions and actions as HTTP API events, on moto's DynamoDB,
with X behind a fake retweeter. Pages are read as HTML; every refusal must say why in words."""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlencode

import boto3
import pytest
from moto import mock_aws

from takedown.console import AccountAdmin, ReviewDesk, build_console_app
from takedown.console.identity import reviewer_from_event
from takedown.evidence import EvidenceObject, IncidentEvidence
from takedown.incidents.model import Incident, IncidentStatus, Resolution
from takedown.incidents.store import IncidentStore
from takedown.judgement.verdict import Contribution
from takedown.policy import AccountPolicy, PolicyStore
from takedown.readable import time_zone
from takedown.x_api import XAuthError
from takedown_local.api_gateway import http_api_event
from takedown_local.template import create_tables, template_resources
from tests.conftest import ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "1072250532645998596"
REVIEWER = {"preferred_username": "rev@force.example", "name": "Rita Reviewer", "roles": "[reviewer]"}
ADMIN = {"preferred_username": "adm@force.example", "name": "Adam Admin", "roles": "[reviewer admin]"}


@dataclass
class FakeX:
    retweets: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False

    def retweet(self, account_id: str, post_id: str) -> object:
        if self.fail:
            raise XAuthError("X answered 401", status=401)
        self.retweets.append((account_id, post_id))
        return object()


@dataclass
class World:
    store: IncidentStore
    policies: PolicyStore
    accounts: AccountAdmin
    x: FakeX
    app: object

    def call(
        self,
        method: str,
        path: str,
        claims: dict | None = ADMIN,
        form: dict | None = None,
        query: str = "",
        extra_headers: dict[str, str] | None = None,
    ) -> dict:
        body = urlencode(form or {}).encode()
        headers = (
            {"content-type": "application/x-www-form-urlencoded", "host": "console.example"} if form is not None else {}
        )
        headers.update(extra_headers or {})
        event = http_api_event(method, path, query, headers, body)
        if claims is not None:
            event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        result = self.app.resolve(event, None)  # type: ignore[attr-defined]
        if result.get("isBase64Encoded"):
            result["body"] = base64.b64decode(result["body"]).decode()
        result["body"] = html.unescape(result.get("body") or "")
        return result


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="c-")
        store = IncidentStore(dynamodb, tables["IncidentsTable"], clock=lambda: NOW)
        policies = PolicyStore(dynamodb, tables["AccountsTable"])
        policies.put_policy(AccountPolicy(account_id=ACCOUNT, handle="SussexPolice", mode="enforce"))
        accounts = AccountAdmin(dynamodb, tables["AccountsTable"], clock=lambda: NOW)
        x = FakeX()
        desk = ReviewDesk(store, accounts, lambda _account: x, clock=lambda: NOW)
        yield World(store, policies, accounts, x, build_console_app(desk, accounts, time_zone(None), clock=lambda: NOW))


def incident(world: World, post_id: str, status: IncidentStatus, category: str = "illegal_stream") -> Incident:
    created, _ = world.store.create(
        Incident(
            incident_id=Incident.id_for(ACCOUNT, post_id),
            account_id=ACCOUNT,
            account_handle="SussexPolice",
            post_id=post_id,
            kind="retweet",
            source_post_id="266367358078169089",
            source_post_url="https://x.com/Twitter/status/266367358078169089",
            source_author_id="783214",
            source_author_handle="streamer",
            category=category,  # type: ignore[arg-type]
            score=0.97,
            contributions=[Contribution(rule="stream-domain", version="abc123", evidence="crackstreams.example")],
            judgement_versions={"rules": "r1", "model": "m1"},
            text_excerpt="explicit words here" if category == "adult" else "watch the fight live",
            received_at=NOW - timedelta(minutes=5),
            detected_at=NOW - timedelta(minutes=5),
        )
    )
    if status is IncidentStatus.UNDONE:
        return world.store.record_undone(created.incident_id, NOW - timedelta(minutes=4), 3_000)
    if status is IncidentStatus.UNDO_FAILED:
        return world.store.record_undo_failed(created.incident_id, NOW, "X answered 401", permanent=True)
    if status is IncidentStatus.MONITORED:
        return world.store.record_monitored(created.incident_id, NOW, "account in monitor mode")
    return created


def test_an_unsigned_request_is_refused(world: World) -> None:
    assert world.call("GET", "/console", claims=None)["statusCode"] == 401
    with pytest.raises(Exception, match="sign in"):
        reviewer_from_event({"requestContext": {}})


def test_a_token_without_a_console_role_is_refused(world: World) -> None:
    result = world.call("GET", "/console", claims={"preferred_username": "x@force.example", "roles": "[]"})
    assert result["statusCode"] == 403
    assert "reviewer role" in result["body"]


def test_roles_arrive_as_a_list_or_as_api_gateways_string() -> None:
    for roles in (["reviewer", "admin"], "[reviewer admin]"):
        event = {"requestContext": {"authorizer": {"jwt": {"claims": {"oid": "1", "roles": roles}}}}}
        assert reviewer_from_event(event).can_change_accounts


def test_the_queue_puts_undo_failed_first_then_monitored_then_undone(world: World) -> None:
    incident(world, "1", IncidentStatus.UNDONE)
    incident(world, "2", IncidentStatus.MONITORED)
    incident(world, "3", IncidentStatus.UNDO_FAILED)
    body = world.call("GET", "/console")["body"]
    assert body.index("Undo failed (1)") < body.index("Recorded only (not undone) (1)") < body.index("Undone on X (1)")
    assert f"/console/incidents/{ACCOUNT}-3" in body
    assert 'lang="en-GB"' in body and '<label for="f-account">' in body


def test_the_queue_filters_by_account_category_status_and_time(world: World) -> None:
    incident(world, "1", IncidentStatus.UNDONE)
    incident(world, "2", IncidentStatus.UNDONE, category="adult")
    body = world.call("GET", "/console", query="category=adult&status=undone&since=24h")["body"]
    assert f"{ACCOUNT}-2" in body and f"{ACCOUNT}-1" not in body
    body = world.call("GET", "/console", query=f"account={ACCOUNT}&since=all")["body"]
    assert f"{ACCOUNT}-1" in body and f"{ACCOUNT}-2" in body
    assert f"{ACCOUNT}-1" not in world.call("GET", "/console", query="account=999")["body"]


def test_the_queue_pages_through_the_index(world: World) -> None:
    for n in range(25):
        incident(world, str(100 + n), IncidentStatus.UNDONE)
    first = world.call("GET", "/console", query="status=undone")["body"]
    assert "Older: undone on x" in first
    token = unquote(first.split("next=")[1].split('"')[0])
    second = world.call("GET", "/console", query=f"status=undone&next={token}")["body"]
    stale = world.call("GET", "/console", query="status=undone&next=bm9wZQ")
    assert stale["statusCode"] == 400 and "page link is no longer valid" in stale["body"]
    assert second.count("/console/incidents/") == 5


def test_the_incident_page_shows_why_and_the_whole_history_with_adult_text_hidden(world: World) -> None:
    shown = incident(world, "7", IncidentStatus.UNDONE, category="adult")
    body = world.call("GET", f"/console/incidents/{shown.incident_id}")["body"]
    assert "stream-domain" in body and "abc123" in body and "crackstreams.example" in body
    assert "<details" in body and "show the post's text" in body
    assert "Detected, undo pending" in body and "Undone on X" in body  # the history
    assert "GMT" in body and "3.0 seconds after it was posted" in body


def test_the_incident_page_names_each_evidence_object_with_its_hash(world: World) -> None:
    shown = incident(world, "8", IncidentStatus.UNDONE)
    assert "No evidence kept yet" in world.call("GET", f"/console/incidents/{shown.incident_id}")["body"]
    digests = {name: hashlib.sha256(name.encode()).hexdigest() for name in ("delivery", "signature", "post")}
    evidence = IncidentEvidence(
        bucket="takedown-evidence",
        origin="webhook",
        source=EvidenceObject(key=f"deliveries/{digests['delivery']}", sha256=digests["delivery"], size=2048),
        signature=EvidenceObject(key=f"signatures/{digests['signature']}", sha256=digests["signature"], size=51),
        post=EvidenceObject(key=f"posts/{digests['post']}.json", sha256=digests["post"], size=900),
        retain_until=NOW + timedelta(days=365),
    )
    world.store.record_evidence(shown.incident_id, evidence)  # through DynamoDB and back
    body = world.call("GET", f"/console/incidents/{shown.incident_id}")["body"]
    assert "X's delivery, as received" in body and "X's signature header" in body and "The post as judged" in body
    for name, digest in digests.items():
        assert f"SHA-256 <code>{digest}</code>" in body, name
    assert f"deliveries/{digests['delivery']}" in body and "takedown-evidence" in body and "2048 bytes" in body


def test_confirm_is_a_conditional_change_and_a_second_one_is_refused_in_words(world: World) -> None:
    shown = incident(world, "8", IncidentStatus.UNDONE)
    path = f"/console/incidents/{shown.incident_id}/confirm"
    first = world.call("POST", path, claims=REVIEWER, form={})
    assert first["statusCode"] == 303 and "done=confirmed" in first["headers"]["Location"]
    assert world.store.get(shown.incident_id).resolution is Resolution.CONFIRMED  # type: ignore[union-attr]
    again = world.call("POST", path, claims=REVIEWER, form={})
    assert again["statusCode"] == 409
    assert "resolved as confirmed now, so it cannot be marked confirmed" in again["body"]


def test_a_false_positive_needs_a_reason(world: World) -> None:
    shown = incident(world, "9", IncidentStatus.UNDONE)
    path = f"/console/incidents/{shown.incident_id}/false-positive"
    refused = world.call("POST", path, claims=REVIEWER, form={"reason": "  "})
    assert refused["statusCode"] == 409 and "the reason is required" in refused["body"]
    assert world.call("POST", path, claims=REVIEWER, form={"reason": "a charity fight"})["statusCode"] == 303
    stored = world.store.get(shown.incident_id)
    assert stored and stored.resolution is Resolution.FALSE_POSITIVE and stored.resolved_by == "rev@force.example"
    assert stored.history[-1].note.endswith(": a charity fight")


def test_restore_asks_first_then_retweets_then_records_and_never_twice(world: World) -> None:
    shown = incident(world, "10", IncidentStatus.UNDONE)
    path = f"/console/incidents/{shown.incident_id}/restore"
    ask = world.call("GET", path, claims=REVIEWER)
    assert "Yes, retweet it again" in ask["body"] and "Why is it a false positive" in ask["body"]
    unconfirmed = world.call("POST", path, claims=REVIEWER, form={"reason": "fine"})
    assert unconfirmed["statusCode"] == 303 and world.x.retweets == []
    done = world.call("POST", path, claims=REVIEWER, form={"confirm": "yes", "reason": "a charity fight"})
    assert done["statusCode"] == 303
    assert world.x.retweets == [(ACCOUNT, "266367358078169089")]
    assert world.store.get(shown.incident_id).status is IncidentStatus.RESTORED  # type: ignore[union-attr]
    twice = world.call("POST", path, claims=REVIEWER, form={"confirm": "yes"})
    assert twice["statusCode"] == 409 and "already restored" in twice["body"]
    assert len(world.x.retweets) == 1


def test_a_refused_restore_leaves_a_false_positive_that_can_be_restored_later(world: World) -> None:
    shown = incident(world, "11", IncidentStatus.UNDONE)
    path = f"/console/incidents/{shown.incident_id}/restore"
    world.x.fail = True
    failed = world.call("POST", path, claims=REVIEWER, form={"confirm": "yes", "reason": "fine"})
    assert failed["statusCode"] == 409 and "X did not retweet it" in failed["body"]
    stored = world.store.get(shown.incident_id)
    assert stored and stored.status is IncidentStatus.RESOLVED and stored.resolution is Resolution.FALSE_POSITIVE
    world.x.fail = False
    assert world.call("POST", path, claims=REVIEWER, form={"confirm": "yes"})["statusCode"] == 303
    assert world.store.get(shown.incident_id).status is IncidentStatus.RESTORED  # type: ignore[union-attr]


def test_a_confirmed_takedown_cannot_be_restored(world: World) -> None:
    shown = incident(world, "12", IncidentStatus.UNDONE)
    world.call("POST", f"/console/incidents/{shown.incident_id}/confirm", claims=REVIEWER, form={})
    refused = world.call("POST", f"/console/incidents/{shown.incident_id}/restore", form={"confirm": "yes"})
    assert refused["statusCode"] == 409 and "resolved as confirmed" in refused["body"]
    assert world.x.retweets == []


def test_a_reviewer_cannot_change_accounts(world: World) -> None:
    for path, form in (
        (f"/console/accounts/{ACCOUNT}/mode", {"mode": "monitor", "reason": "test"}),
        (f"/console/accounts/{ACCOUNT}/trusted", {"kind": "domain", "value": "bbc.co.uk", "reason": "test"}),
        ("/console/kill-switch", {"on": "yes", "reason": "test"}),
    ):
        result = world.call("POST", path, claims=REVIEWER, form=form)
        assert result["statusCode"] == 403 and "admin role" in result["body"]
    assert world.policies.policy_for(ACCOUNT).mode == "enforce"
    assert world.accounts.audit() == []
    page = world.call("GET", "/console/accounts", claims=REVIEWER)["body"]
    assert "Only admins change accounts" in page and "Change mode" not in page


def test_an_admin_changes_mode_trust_and_the_kill_switch_each_recorded_with_who_when_and_why(world: World) -> None:
    assert (
        world.call("POST", f"/console/accounts/{ACCOUNT}/mode", form={"mode": "monitor", "reason": "new staff"})[
            "statusCode"
        ]
        == 303
    )
    assert (
        world.call(
            "POST",
            f"/console/accounts/{ACCOUNT}/trusted",
            form={"kind": "domain", "value": "https://www.BBC.co.uk/x", "reason": "broadcaster"},
        )["statusCode"]
        == 303
    )
    assert world.call("POST", "/console/kill-switch", form={"on": "yes", "reason": "bad rule"})["statusCode"] == 303
    policy = world.accounts.account(ACCOUNT)
    assert policy and policy.mode == "monitor" and policy.trusted_domains == {"bbc.co.uk"}
    assert world.policies.settings().kill_switch
    changes = [(entry.by, entry.change, entry.reason) for entry in world.accounts.audit()]
    assert ("adm@force.example", "mode enforce → monitor", "new staff") in changes
    assert ("adm@force.example", "trusted: domain bbc.co.uk", "broadcaster") in changes
    assert ("adm@force.example", "kill switch on", "bad rule") in changes
    page = world.call("GET", "/console/accounts")["body"]
    assert "Kill switch: ON" in page and "new staff" in page and "Adam Admin" in page
    assert world.call("POST", "/console/kill-switch", form={"on": "no", "reason": "fixed"})["statusCode"] == 303
    assert not world.accounts.kill_switch().on


def test_account_changes_are_refused_in_words(world: World) -> None:
    no_reason = world.call("POST", f"/console/accounts/{ACCOUNT}/mode", form={"mode": "monitor", "reason": ""})
    assert no_reason["statusCode"] == 409 and "a reason is required" in no_reason["body"]
    same = world.call("POST", f"/console/accounts/{ACCOUNT}/mode", form={"mode": "enforce", "reason": "x"})
    assert "already in enforce mode" in same["body"]
    unknown = world.call("POST", "/console/accounts/42/mode", form={"mode": "monitor", "reason": "x"})
    assert "no account 42 is subscribed" in unknown["body"]
    bad = world.call(
        "POST", f"/console/accounts/{ACCOUNT}/trusted", form={"kind": "domain", "value": "not a domain", "reason": "x"}
    )
    assert "is not a domain name" in bad["body"]


def test_a_concurrent_change_is_refused_not_overwritten(world: World) -> None:
    world.accounts.set_mode(ACCOUNT, "monitor", by="a", reason="first")
    stale = world.accounts._read(ACCOUNT)  # noqa: SLF001 - as another reviewer's page read it
    world.accounts.set_mode(ACCOUNT, "enforce", by="b", reason="second")
    assert stale is not None
    with pytest.raises(Exception, match="someone else changed this"):
        world.accounts._write(stale, {**stale, "mode": "monitor"}, "mode", "c", "third")  # noqa: SLF001
    assert world.accounts.account(ACCOUNT).mode == "enforce"  # type: ignore[union-attr]


def test_an_admin_trusts_the_author_from_the_incident(world: World) -> None:
    shown = incident(world, "13", IncidentStatus.UNDONE)
    path = f"/console/incidents/{shown.incident_id}/trust"
    assert (
        world.call("POST", path, claims=REVIEWER, form={"kind": "author", "value": "783214", "reason": "x"})[
            "statusCode"
        ]
        == 403
    )
    assert (
        world.call("POST", path, form={"kind": "author", "value": "783214", "reason": "our partner"})["statusCode"]
        == 303
    )
    assert world.accounts.account(ACCOUNT).trusted_author_ids == {"783214"}  # type: ignore[union-attr]
    other = world.call("POST", path, form={"kind": "author", "value": "999", "reason": "x"})
    assert "only this incident's original author" in other["body"]


def test_pages_are_sent_with_a_strict_content_security_policy(world: World) -> None:
    result = world.call("GET", "/console")
    assert "default-src 'none'" in result["headers"]["Content-Security-Policy"]
    assert "<script" not in result["body"]
    css = world.call("GET", "/console/static/console.css")
    assert css["statusCode"] == 200 and "focus-visible" in css["body"]
    assert world.call("GET", "/console/incidents/nope")["statusCode"] == 404


def test_the_cloud_refuses_unsigned_console_requests_before_the_function_runs() -> None:
    resources = template_resources(ROOT / "template.yaml")
    api = resources["WebhookApi"]["Properties"]
    authorizer = api["Auth"]["Authorizers"]["EntraId"]
    assert authorizer["IdentitySource"] == "$request.header.Authorization"
    assert "${EntraTenantId}" in str(authorizer["JwtConfiguration"]["issuer"])
    assert authorizer["JwtConfiguration"]["audience"] == [{"Ref": "EntraClientId"}]
    console = resources["ConsoleFunction"]["Properties"]
    routes = [event["Properties"] for event in console["Events"].values()]
    assert {route["Path"] for route in routes} == {"/console", "/console/{proxy+}"}
    assert all(route["Auth"] == {"Authorizer": "EntraId"} for route in routes)
    statements = console["Policies"][0]["Statement"]
    actions = {action for statement in statements for action in _listed(statement["Action"])}
    assert "dynamodb:DeleteItem" not in actions and not any(action.endswith("*") for action in actions)


def _listed(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def test_a_form_sent_from_another_site_changes_nothing(world: World) -> None:
    shown = incident(world, "14", IncidentStatus.UNDONE)
    path = f"/console/incidents/{shown.incident_id}/confirm"
    for headers in (
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site", "origin": "https://console.example"},
        {"sec-fetch-site": "same-site"},
    ):
        refused = world.call("POST", path, form={}, extra_headers=headers)
        assert refused["statusCode"] == 403 and "sent from another site" in refused["body"]
    assert world.store.get(shown.incident_id).status is IncidentStatus.UNDONE  # type: ignore[union-attr]
    same_origin = {"origin": "https://console.example", "sec-fetch-site": "same-origin"}
    assert world.call("POST", path, form={}, extra_headers=same_origin)["statusCode"] == 303
