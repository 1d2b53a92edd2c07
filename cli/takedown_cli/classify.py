"""`takedown classify [FILE|-] [--explain]`: webhook payloads in (one JSON envelope per line), verdicts out.

Prints one JSON line per post inspected, or with `--explain` a readable account of each rule, model
part and safeguard that contributed, with its evidence and version. `action` is what
`takedown.decision.decide` says for the subscribed account's own retweets and quotes, as if the
account were enforced and the kill switch off (there is no accounts table offline): "undo" for a
bad verdict, "ignore" for a clean one; any other post is "ignore". No network call is made unless
`--follow-links` is given: then each post's links are resolved as inspection does (`--allow-loopback`
for local testing) and each record says where they led.
A line that cannot be read is reported on stderr with its line number, and the rest still run; the
exit code is 1 if any was bad (2 if the file cannot be read).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, TextIO

import typer

from takedown.decision import decide
from takedown.judgement.judge import Judge
from takedown.judgement.verdict import Verdict
from takedown.links import LinkResolver
from takedown.policy import AccountPolicy, GlobalSettings
from takedown.repost import Repost
from takedown.settings import LinkSettings
from takedown.webhook import MalformedDeliveryError, read_delivery
from takedown.wiring import build_link_resolver
from takedown_cli.errors import UsageProblemError


def register(root: typer.Typer) -> None:
    root.command("classify")(classify)


def classify(
    file: Annotated[
        str, typer.Argument(help="a file of JSON lines (one webhook body per line), or - for standard input")
    ] = "-",
    explain: Annotated[bool, typer.Option("--explain", help="show each rule and model contribution, readably")] = False,
    follow_links: Annotated[
        bool, typer.Option("--follow-links", help="resolve each post's links as inspection does (network)")
    ] = False,
    allow_loopback: Annotated[
        bool, typer.Option("--allow-loopback", help="with --follow-links: let the fetcher reach 127.0.0.1 (testing)")
    ] = False,
) -> None:
    """Classify webhook payloads offline: one JSON verdict per post (exit 1 if a line could not be read)."""
    judge = Judge.load_default()
    links = None
    if follow_links:
        links = build_link_resolver(LinkSettings(follow=True, allow_loopback=allow_loopback))
    if file == "-":
        code = classify_lines(sys.stdin, judge, sys.stdout, sys.stderr, explain=explain, links=links)
    else:
        try:
            with open(file, encoding="utf-8") as lines:
                code = classify_lines(lines, judge, sys.stdout, sys.stderr, explain=explain, links=links)
        except OSError as error:
            raise UsageProblemError(f"cannot read {file}: {error.strerror}") from None
    if code:
        raise typer.Exit(code)


def classify_lines(
    lines: Iterable[str],
    judge: Judge,
    out: TextIO,
    err: TextIO,
    explain: bool = False,
    links: LinkResolver | None = None,
) -> int:
    """Classify each non-blank line; report unreadable ones on `err` with their line number and go on."""
    failed = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            for record, verdict in verdicts(line, judge, links):
                out.write(explanation(record, verdict) if explain else json.dumps(record, ensure_ascii=False) + "\n")
        except MalformedDeliveryError as error:
            err.write(f"line {number}: {error}\n")
            failed = True
    return 1 if failed else 0


def verdicts(line: str, judge: Judge, links: LinkResolver | None = None) -> Iterator[tuple[dict[str, Any], Verdict]]:
    """One output record per post in the webhook body `line` (raises MalformedDeliveryError).

    With `links`, each post's links are resolved first and the pages judged with it; the record
    then says where each link led (`links`)."""
    for post in read_delivery(line, datetime.now(UTC)).posts:
        repost = Repost.from_event(post)
        pages = links.resolve_all(repost.urls) if links is not None and repost.urls else []
        verdict = judge.classify(repost, pages=pages) if links is not None else judge.classify(repost)
        enforced = AccountPolicy(account_id=post.account_id, mode="enforce")
        action = decide(verdict, enforced, GlobalSettings(), existing=None).kind if post.is_candidate else "ignore"
        yield (
            {
                "post_id": post.post_id,
                "account_id": post.account_id,
                "kind": post.kind,
                "action": action,
                "category": verdict.category,
                "score": verdict.score,
                "contributions": [c.model_dump() for c in verdict.contributions],
                "versions": verdict.versions,
                "held_back_by": verdict.held_back_by,
            }
            | ({"links": [page.to_record() for page in pages]} if links is not None else {}),
            verdict,
        )


def explanation(record: dict[str, Any], verdict: Verdict) -> str:
    """The verdict on one post as a person reads it: the outcome, then one line per contribution."""
    outcome = f"{verdict.category} {verdict.score:.2f}" if verdict.is_bad else f"clean (strongest {verdict.score:.2f})"
    if verdict.held_back_by:
        outcome += f", held back by {verdict.held_back_by}"
    versions = ", ".join(f"{name} {version}" for name, version in sorted(verdict.versions.items()))
    lines = [f"post {record['post_id']} ({record['kind']}): {record['action']} - {outcome}  [{versions}]"]
    for part in verdict.contributions:
        weight = f"{part.weight:+.2f}" if part.kind != "safeguard" else "hold"
        lines.append(f"  {part.kind:<9} {part.rule:<34} {weight:>6}  {part.evidence}")
    return "\n".join(lines) + "\n"
