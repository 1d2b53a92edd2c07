"""`takedown model evaluate` and `make eval`: the judgement measured on the evaluation corpus.

The evaluation corpus (`corpus/eval/`) is written apart from the training corpus, by other authors,
and never trained or tuned on. A post counts as undone when the judge's verdict is bad (any
category); a benign post undone is a false undo. Recall and precision are reported per category,
language, signal kind and source, and the gate fails on any false undo or a recall under the bar.
The obfuscation check re-writes every post with look-alike letters, styling, zero-width
characters, spacing, leet and emoji separators, and requires 95% of the bad posts caught as
written still caught, and no benign post undone that was not undone as written.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from takedown.judgement.judge import Judge
from takedown_cli.model.corpus import CorpusPost
from takedown_cli.model.obfuscation import obfuscate

RECALL_BAR = 0.95
OBFUSCATION_BAR = 0.95  # of the bad posts caught as written, the share still caught once obfuscated
OBFUSCATED = "~"  # suffix of an obfuscated copy's id


@dataclass
class Tally:
    positives: int = 0
    caught: int = 0
    flagged: int = 0  # undone as this category (for precision)
    flagged_right: int = 0
    benign: int = 0
    false_undos: int = 0

    @property
    def recall(self) -> float | None:
        return self.caught / self.positives if self.positives else None

    @property
    def precision(self) -> float | None:
        return self.flagged_right / self.flagged if self.flagged else None


@dataclass
class Report:
    """What the judge did with each post of a corpus, tallied along each axis."""

    total: Tally = field(default_factory=Tally)
    by: dict[str, dict[str, Tally]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Tally)))
    false_undos: list[tuple[CorpusPost, str]] = field(default_factory=list)
    misses: list[CorpusPost] = field(default_factory=list)
    caught: set[str] = field(default_factory=set)  # ids of the bad posts undone

    def add(self, post: CorpusPost, verdict_category: str | None, reason: str) -> None:
        keys = {
            "category": post.category or "benign",
            "language": post.lang,
            "signal": post.signal or "-",
            "source": post.source,
        }
        tallies = [self.total, *(self.by[axis][key] for axis, key in keys.items())]
        if verdict_category is not None:
            category_tally = self.by["flagged_as"][verdict_category]
            category_tally.flagged += 1
            category_tally.flagged_right += int(post.category == verdict_category)
        for tally in tallies:
            if post.category is None:
                tally.benign += 1
                tally.false_undos += int(verdict_category is not None)
            else:
                tally.positives += 1
                tally.caught += int(verdict_category is not None)
            if verdict_category is not None:
                tally.flagged += 1
                tally.flagged_right += int(post.category is not None)
        if post.category is None and verdict_category is not None:
            self.false_undos.append((post, reason))
        if post.category is not None and verdict_category is None:
            self.misses.append(post)
        if post.category is not None and verdict_category is not None:
            self.caught.add(post.id)


def evaluate(judge: Judge, posts: Iterable[CorpusPost]) -> Report:
    report = Report()
    for index, post in enumerate(posts):
        verdict = judge.classify(post.repost(index))
        reason = ", ".join(c.rule for c in verdict.contributions if c.kind == "rule") or "model"
        report.add(post, verdict.category, reason)
    return report


def obfuscated(posts: list[CorpusPost], seed: int) -> list[CorpusPost]:
    """Every post re-written with obfuscation (seeded), ids suffixed."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible test of obfuscation, not a secret
    return [post.model_copy(update={"id": f"{post.id}~", "text": obfuscate(post.text, rng)}) for post in posts]


def gate(report: Report, bar: float) -> list[str]:
    """The reasons the report fails the bar: any false undo, or recall under `bar`."""
    failures = []
    if report.total.false_undos:
        failures.append(f"{report.total.false_undos} false undo(s)")
    recall = report.total.recall
    if recall is not None and recall < bar:
        failures.append(f"recall {recall:.3f} < {bar}")
    return failures


def still_caught(plain: Report, tricked: Report) -> int:
    """How many of the bad posts caught as written are still caught once obfuscated."""
    return sum(1 for post_id in plain.caught if f"{post_id}{OBFUSCATED}" in tricked.caught)


def obfuscation_gate(plain: Report, tricked: Report, bar: float) -> list[str]:
    """What the obfuscated copy fails: under `bar` of the bad posts caught as written still caught
    once obfuscated, or a benign post undone once obfuscated that was not undone as written."""
    failures = []
    still = still_caught(plain, tricked)
    if plain.caught and still / len(plain.caught) < bar:
        failures.append(f"{still / len(plain.caught):.3f} of the caught still caught < {bar}")
    before = {post.id for post, _ in plain.false_undos}
    new = [post.id for post, _ in tricked.false_undos if post.id.removesuffix(OBFUSCATED) not in before]
    if new:
        failures.append(f"{len(new)} new false undo(s): {', '.join(new)}")
    return failures


def print_report(report: Report, out: TextIO, title: str) -> None:
    total = report.total
    out.write(f"\n== {title}: {total.positives} bad, {total.benign} benign ==\n")
    out.write(f"recall {_pct(total.recall)}  precision {_pct(total.precision)}  false undos {total.false_undos}\n")
    for axis in ("category", "flagged_as", "language", "signal", "source"):
        out.write(f"\n{axis:<22}{'bad':>6}{'recall':>9}{'benign':>8}{'false undos':>13}{'precision':>11}\n")
        for key, tally in sorted(report.by[axis].items()):
            out.write(
                f"{key:<22}{tally.positives:>6}{_pct(tally.recall):>9}{tally.benign:>8}"
                f"{tally.false_undos:>13}{_pct(tally.precision):>11}\n"
            )
    for post, reason in report.false_undos:
        out.write(f"FALSE UNDO {post.id} [{post.lang}, {post.signal}] by {reason}\n")
    missed = ", ".join(post.id for post in report.misses[:40])
    out.write(f"missed ({len(report.misses)}): {missed}{' …' if len(report.misses) > 40 else ''}\n")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
