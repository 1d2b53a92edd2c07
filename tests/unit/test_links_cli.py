"""`takedown links check` and `takedown classify --follow-links`, against a loopback web stand-in."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence

import pytest

from takedown.judgement.judge import Judge
from takedown.judgement.verdict import Verdict
from takedown.links import LandingPage
from takedown.repost import Repost
from takedown_cli.classify import classify_lines
from takedown_cli.main import main
from takedown_local.standins.web_standin import SAMPLE_PAGES, WebStandIn
from tests.corpus.envelopes import envelope
from tests.links_support import loopback_resolver


@pytest.fixture
def web() -> Iterator[WebStandIn]:
    with WebStandIn() as server:
        server.redirect("/s/fight", "/hub")
        server.page("/hub", SAMPLE_PAGES["link_hub"])
        server.page("/fight", SAMPLE_PAGES["hls_player"])
        yield server


def test_links_check_prints_the_chain_the_evidence_and_the_judgement(web: WebStandIn, capsys) -> None:
    code = main(["links", "check", f"{web.url}/s/fight", "--allow-loopback"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [f"{web.url}/s/fight", f"  -> {web.url}/hub", f"  -> {web.url}/fight"]
    assert "outcome: page (HTTP 200, text/html)" in out
    assert "evidence  HLS/DASH manifest" in out and "evidence  live/stream wording" in out
    assert "judgement of the landing page:" in out


def test_links_check_as_json(web: WebStandIn, capsys) -> None:
    assert main(["links", "check", f"{web.url}/fight", "--allow-loopback", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["page"]["manifest"] is True
    assert {"category", "score", "contributions"} <= set(record["verdict"])


def test_links_check_refuses_loopback_unless_told(web: WebStandIn, capsys) -> None:
    assert main(["links", "check", f"{web.url}/fight"]) == 1
    out = capsys.readouterr().out
    assert "outcome: refused: port: port" in out  # the test server's port; on 80 the address is refused
    assert web.requests == []


class PageCountingJudge:
    def __init__(self) -> None:
        self.pages: list[Sequence[LandingPage]] = []
        self.real = Judge.load_default()

    def classify(self, repost: Repost, trust: object = None, pages: Sequence[LandingPage] = ()) -> Verdict:
        self.pages.append(pages)
        return self.real.classify(repost)


def test_classify_follow_links_hands_the_pages_to_the_judgement_and_prints_them(web: WebStandIn) -> None:
    port = web.url.rsplit(":", 1)[1]
    line = envelope({"text": "watch this", "urls": [f"http://short.example:{port}/s/fight"]}, 0)
    judge, out = PageCountingJudge(), io.StringIO()
    links = loopback_resolver(["short.example"])
    assert classify_lines([line], judge, out, io.StringIO(), links=links) == 0  # type: ignore[arg-type]
    [record] = [json.loads(text) for text in out.getvalue().splitlines()]
    [page] = record["links"]
    assert page["final_host"] == "short.example" and page["manifest"] is True
    assert [p.url for p in judge.pages[0]] == [f"http://short.example:{port}/s/fight"]


def test_classify_stays_offline_without_the_flag(web: WebStandIn) -> None:
    line = envelope({"text": "watch this", "urls": [f"{web.url}/s/fight"]}, 0)
    out = io.StringIO()
    assert classify_lines([line], Judge.load_default(), out, io.StringIO()) == 0
    assert "links" not in json.loads(out.getvalue())
    assert web.requests == []
