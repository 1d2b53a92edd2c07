"""What to do about one judged post: a small total function over plain values, tested without AWS.

`decide` looks at the verdict, the account's policy, the global settings and the incident already
recorded for this post (None on first sight), and names one action; the inspector carries it out.
Like HMA's action rules, the whole policy is readable here in a dozen lines.

    action = decide(verdict, policy, settings, existing=None)
    if action.kind == "undo": ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from takedown.incidents.model import RETRYABLE, Incident
from takedown.judgement.verdict import Verdict
from takedown.policy import AccountPolicy, GlobalSettings

ActionKind = Literal["ignore", "skip", "monitor", "undo"]


@dataclass(frozen=True, slots=True)
class Action:
    """`ignore`: nothing bad. `skip`: already handled (or needs a human), leave it. `monitor`: record
    and report, do not touch X. `undo`: undo the repost on X. `reason` goes into logs and history."""

    kind: ActionKind
    reason: str


def decide(verdict: Verdict, policy: AccountPolicy, settings: GlobalSettings, existing: Incident | None) -> Action:
    if not verdict.is_bad:
        return Action("ignore", "verdict is clean")
    if existing is not None and existing.status not in RETRYABLE:
        return Action("skip", f"incident already {existing.status.value}")
    if existing is not None and existing.last_error_permanent:
        return Action("skip", "X refused the undo; a human must act")
    if settings.kill_switch:
        return Action("monitor", "kill switch on")
    if policy.mode != "enforce":
        return Action("monitor", f"account in {policy.mode} mode")
    return Action("undo", f"{verdict.category} in an enforced account")
