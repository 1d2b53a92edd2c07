"""`takedown links check URL [--allow-loopback] [--json]`: follow one link as inspection does.

Prints the chain of hops, how it ended, the final page's evidence, and what the judgement makes of
the landing page (its text and every URL of the chain judged like a post's). The fetch is the
production one: public addresses only, checked after DNS, within the same budget;
`--allow-loopback` lets it reach 127.0.0.1 for local testing.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from takedown.judgement.judge import Judge
from takedown.judgement.verdict import Verdict
from takedown.links import LandingPage, LinkResolver
from takedown.repost import Repost
from takedown.settings import LinkSettings
from takedown.wiring import build_link_resolver


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `takedown links check URL`."""
    parser = subparsers.add_parser("links", help="follow links as inspection does")
    commands = parser.add_subparsers(dest="links_command", required=True)
    check = commands.add_parser("check", help="print where a link leads and what its landing page says")
    check.add_argument("url")
    add_fetch_options(check)
    check.add_argument("--json", action="store_true", help="the landing page and verdict as one JSON object")
    check.set_defaults(handler=run_check)


def add_fetch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-loopback", action="store_true", help="let the fetcher reach 127.0.0.1 and ::1 (local testing only)"
    )
    parser.add_argument("--budget", type=float, default=1.5, metavar="SECONDS", help="time for all of a post's links")


def resolver_for(args: argparse.Namespace) -> LinkResolver:
    """The production resolver with an in-memory cache (no table from the command line)."""
    return build_link_resolver(
        LinkSettings(follow=True, budget_seconds=args.budget, allow_loopback=args.allow_loopback)
    )


def run_check(args: argparse.Namespace) -> int:
    [page] = resolver_for(args).resolve_all([args.url])
    verdict = judge_page(Judge.load_default(), page)
    write_check(page, verdict, sys.stdout, as_json=args.json)
    return 0 if page.outcome in {"page", "not_html", "skipped"} else 1


def judge_page(judge: Judge, page: LandingPage) -> Verdict:
    """The landing page judged like a post: its text, and every URL of its chain."""
    post = Repost(
        account_id="0",
        post_id="0",
        kind="post",
        by_account=False,
        source_post_id="0",
        text=page.text,
        urls=tuple(dict.fromkeys(page.chain)),
    )
    return judge.classify(post)


def write_check(page: LandingPage, verdict: Verdict, out: TextIO, as_json: bool = False) -> None:
    if as_json:
        record = {
            "page": page.to_record(),
            "evidence": list(page.evidence),
            "verdict": verdict.model_dump(mode="json"),
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    for index, url in enumerate(page.chain):
        out.write(f"{'  ' * min(index, 1)}{'-> ' if index else ''}{url}\n")
    status = f" (HTTP {page.status_code}, {page.content_type or 'no type'})" if page.status_code else ""
    out.write(f"outcome: {page.outcome}{status}{': ' + page.detail if page.detail else ''}\n")
    out.write(f"final host: {page.final_host}\n")
    for item in page.evidence:
        out.write(f"  evidence  {item}\n")
    if page.description:
        out.write(f"  description  {page.description[:160]}\n")
    outcome = f"{verdict.category} {verdict.score:.2f}" if verdict.is_bad else f"clean (strongest {verdict.score:.2f})"
    out.write(f"judgement of the landing page: {outcome}\n")
    for part in verdict.contributions:
        if part.kind == "rule" or part.weight:
            out.write(f"  {part.kind:<9} {part.rule:<34} {part.weight:+.2f}  {part.evidence[:100]}\n")
