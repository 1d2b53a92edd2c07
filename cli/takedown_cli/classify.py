"""`takedown classify [FILE|-]`: webhook payloads in (one JSON envelope per line), verdicts out.

Prints one JSON line per post inspected. `action` is "undo" only for the subscribed account's own
retweets and quotes whose verdict is bad. No network call is made. A line that cannot be read is
reported on stderr with its line number, and the rest still run; the exit code is 1 if any was bad.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from takedown.repost import Repost
from takedown.signatures import SignatureEngine
from takedown.webhook import MalformedDeliveryError, read_delivery


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `takedown classify [FILE|-]`."""
    parser = subparsers.add_parser("classify", help="classify webhook payloads offline (one JSON envelope per line)")
    parser.add_argument("file", nargs="?", default="-", help="a file of JSON lines, or - for standard input")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The `classify` handler: 0 when every line was read, 1 when some were not, 2 when the file wasn't."""
    engine = SignatureEngine.load_default()
    if args.file == "-":
        return classify_lines(sys.stdin, engine, sys.stdout, sys.stderr)
    try:
        with open(args.file, encoding="utf-8") as lines:
            return classify_lines(lines, engine, sys.stdout, sys.stderr)
    except OSError as error:
        sys.stderr.write(f"takedown classify: cannot read {args.file}: {error.strerror}\n")
        return 2


def classify_lines(lines: Iterable[str], engine: SignatureEngine, out: TextIO, err: TextIO) -> int:
    """Classify each non-blank line; report unreadable ones on `err` with their line number and go on."""
    failed = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            for verdict in verdicts(line, engine):
                out.write(json.dumps(verdict, ensure_ascii=False) + "\n")
        except MalformedDeliveryError as error:
            err.write(f"line {number}: {error}\n")
            failed = True
    return 1 if failed else 0


def verdicts(line: str, engine: SignatureEngine) -> Iterator[dict[str, Any]]:
    """One output record per post in the webhook body `line` (raises MalformedDeliveryError)."""
    for post in read_delivery(line, datetime.now(UTC)).posts:
        repost = Repost.from_event(post)
        verdict = engine.classify(repost)
        undo = post.is_candidate and verdict.is_bad
        yield {
            "tweet_id": post.post_id,
            "account_id": post.account_id,
            "kind": post.kind,
            "action": "undo" if undo else "ignore",
            "category": verdict.category,
            "score": verdict.score,
            "contributions": [c.model_dump() for c in verdict.contributions],
            "versions": verdict.versions,
        }
