"""The inspector with link following on: the pages reach the classifier and every one of them is
recorded on the incident; with it off, the classifier is called exactly as before."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from takedown.incidents.store import IncidentStore
from takedown.inspection import Inspector
from takedown.judgement.verdict import Contribution, Verdict
from takedown.links import HopFetcher, LandingPage, LinkResolver, MemoryLinkCache
from takedown.policy import AccountPolicy, PolicyStore
from takedown.repost import Repost
from takedown.signatures import TrustList
from takedown.webhook import read_delivery
from takedown_local.standins.web_standin import SAMPLE_PAGES
from takedown_local.template import create_tables
from tests.conftest import EVENTS, ROOT
from tests.evidence_support import evidence_bucket

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ACCOUNT = "1000000000000000001"


class AnyHostIsPublic:
    def addresses(self, host: str, port: int) -> list[str]:
        return ["93.184.215.14"]


class PageJudge:
    """Bad when a landing page carries the RTA label; remembers what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[Repost, Sequence[LandingPage] | None]] = []

    def classify(
        self, post: Repost, trust: TrustList, pages: Sequence[LandingPage] | None = None, *, explain: bool = True
    ) -> Verdict:
        self.calls.append((post, pages))
        labelled = [page for page in pages or () if page.rta_label]
        if not labelled:
            return Verdict(category=None, score=0.0)
        part = Contribution(rule="page.rta_label", version="1", evidence=labelled[0].final_host, category="adult")
        return Verdict(category="adult", score=0.95, contributions=(part,))


class NeverUndone:
    """Whatever undoes (never reached: the account is monitored)."""

    def __call__(self, *args: Any) -> Any:
        raise AssertionError("nothing is undone in monitor mode")

    def schedule(self, *args: Any) -> None:
        raise AssertionError("nothing is undone in monitor mode")


class Metrics:
    def incident_detected(self, category: str) -> None:
        pass


def rta_site(request: httpx.Request) -> httpx.Response:
    if request.url.path != "/landing":
        return httpx.Response(302, headers={"Location": "https://cams.example/landing"})
    body = httpx.ByteStream(SAMPLE_PAGES["rta_label"].encode())
    return httpx.Response(200, headers={"Content-Type": "text/html"}, stream=body)


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="l-")
        policies = PolicyStore(dynamodb, tables["AccountsTable"], max_age_seconds=0)
        # monitored: the incident is written and nothing is undone, which is all these tests look at
        policies.put_policy(AccountPolicy(account_id=ACCOUNT, mode="monitor"))
        incidents = IncidentStore(dynamodb, tables["IncidentsTable"], clock=lambda: NOW)
        links = LinkResolver(HopFetcher(httpx.MockTransport(rta_site), AnyHostIsPublic()), MemoryLinkCache())
        judge = PageJudge()
        evidence = evidence_bucket()["locker"]
        yield {
            "judge": judge,
            "incidents": incidents,
            "with_links": Inspector(
                judge, policies, incidents, NeverUndone(), Metrics(), lambda: NOW, links=links, evidence=evidence
            ),
            "without_links": Inspector(
                judge, policies, incidents, NeverUndone(), Metrics(), lambda: NOW, evidence=evidence
            ),
        }


def _candidate():  # noqa: ANN202
    body = json.loads((EVENTS / "webhook_aaa_retweet_illegal_stream.json").read_text())["body"]
    (candidate,) = read_delivery(body, NOW - timedelta(seconds=1)).candidates
    return candidate


def test_the_landing_pages_reach_the_judge_and_the_incident_keeps_their_evidence(world: dict) -> None:
    result = world["with_links"].inspect(_candidate())
    (post, pages), *_ = world["judge"].calls
    assert pages and len(pages) == len(post.urls)
    assert result.verdict.is_bad
    incident = world["incidents"].get(result.incident.incident_id)
    [evidence] = incident.link_evidence
    assert evidence.url == post.urls[0]
    assert evidence.chain[-1] == "https://cams.example/landing"
    assert (evidence.rta_label, evidence.age_gate, evidence.final_host) == (True, True, "cams.example")
    assert "RTA adult label (RTA-5042-1996-1400-1577-RTA)" in evidence.evidence


def test_without_the_setting_nothing_is_fetched_and_the_judge_is_called_as_before(world: dict) -> None:
    result = world["without_links"].inspect(_candidate())
    assert world["judge"].calls[-1][1] is None  # called without pages=
    assert not result.verdict.is_bad
