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

from takedown.incidents.model import RETRYABLE, Incident, IncidentStatus
from takedown.judgement.verdict import Verdict
from takedown.policy import AccountPolicy, GlobalSettings

ActionKind = Literal["ignore", "skip", "monitor", "undo"]


@dataclass(frozen=True, slots=True)
class Action:
    """`ignore`: nothing bad. `skip`: already handled (or needs a human), leave it. `monitor`: record
    and report, do not touch X. `undo`: undo the repost on X. `reason` goes into logs and history."""

    kind: ActionKind
    reason: str


def decide(
    verdict: Verdict,
    policy: AccountPolicy,
    settings: GlobalSettings,
    existing: Incident | None,
    *,
    undo_step: bool = False,
) -> Action:
    """Inspection calls this on first sight (or redelivery); the undo step calls it again, with
    `undo_step=True`, right before it acts on X, so a kill switch or breaker thrown while the undo
    waited still holds it back."""
    if not verdict.is_bad:
        return Action("ignore", "verdict is clean")
    if existing is not None and existing.status not in RETRYABLE:
        return Action("skip", f"incident already {existing.status.value}")
    if existing is not None and existing.last_error_permanent:
        return Action("skip", "X refused the undo; a human must act")
    pending = existing is not None and existing.status is IncidentStatus.DETECTED and existing.undo_scheduled_for
    if pending and not undo_step:
        return Action("skip", "undo already scheduled")
    if settings.kill_switch:
        because = f": {settings.kill_switch_reason}" if settings.kill_switch_reason else ""
        return Action("monitor", f"kill switch on{because}")
    if held := sorted(set(acting_rules(verdict)) & settings.monitored_rules):
        return Action("monitor", f"rule {', '.join(held)} switched to monitor")
    if policy.mode != "enforce":
        return Action("monitor", f"account in {policy.mode} mode")
    return Action("undo", f"{verdict.category} in an enforced account")


def acting_rules(verdict: Verdict) -> tuple[str, ...]:
    """The signature rules that pushed this verdict towards its category: what the circuit breaker
    counts undos by, and what it can switch to monitor. Model parts are left out (their
    contributions are listed even when the model only explains); the overall limit covers them."""
    return tuple(
        dict.fromkeys(
            c.rule
            for c in verdict.contributions
            if c.kind == "rule" and c.weight > 0 and c.category in (None, verdict.category)
        )
    )
