"""`takedown links check URL [--allow-loopback] [--json]`: follow one link as inspection does.

Prints the chain of hops, how it ended, the final page's evidence, and what the judgement makes of
the landing page (its text and every URL of the chain judged like a post's). The fetch is the
production one: public addresses only, checked after DNS, within the same budget;
`--allow-loopback` lets it reach 127.0.0.1 for local testing.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, TextIO

import typer

from takedown.judgement.judge import Judge
from takedown.judgement.verdict import Verdict
from takedown.links import LandingPage, LinkResolver
from takedown.repost import Repost
from takedown.settings import LinkSettings
from takedown.wiring import build_link_resolver
from takedown_cli.errors import ExitCode
from takedown_cli.options import JsonOption, wants_json

app = typer.Typer(help="Follow links as inspection does.", no_args_is_help=True)

AllowLoopback = Annotated[
    bool, typer.Option("--allow-loopback", help="let the fetcher reach 127.0.0.1 and ::1 (local testing only)")
]
Budget = Annotated[float, typer.Option("--budget", metavar="SECONDS", help="time for all of a post's links")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="links")


@app.command("check")
def check(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="the link to follow")],
    allow_loopback: AllowLoopback = False,
    budget: Budget = 1.5,
    as_json: JsonOption = False,
) -> None:
    """Print where a link leads and what its landing page says (exit 1 if it did not end on a page)."""
    [page] = resolver_for(budget, allow_loopback).resolve_all([url])
    verdict = judge_page(Judge.load_default(), page)
    write_check(page, verdict, sys.stdout, as_json=wants_json(ctx))
    if page.outcome not in {"page", "not_html", "skipped"}:
        raise typer.Exit(ExitCode.CHECK_FAILED)


def resolver_for(budget: float, allow_loopback: bool) -> LinkResolver:
    """The production resolver with an in-memory cache (no table from the command line)."""
    return build_link_resolver(LinkSettings(follow=True, budget_seconds=budget, allow_loopback=allow_loopback))


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
