"""Reconcile function: EventBridge, every 5 minutes by default, sweeps each account for lost webhooks.

A thin adapter: takedown.sweep does the work, takedown.wiring builds it. Each account's sweep is one
log line (what it read and sent, where its checkpoint is, why it failed); the figures are metrics:
`SweepPostsRead` (with the webhook's `DeliveriesAccepted`, the alarm for a silent webhook),
`SweepRepostsEnqueued`, `SweepFailures`, and X refusing the account's credentials (`XAuthFailures`)
or the app's credits running out (`XCreditFailures`), the same metrics the undo step counts.
One account failing never fails the run: the next schedule sweeps it again from its checkpoint.
Invoked by hand with `{"account_ids": ["<id>", ...]}`, it sweeps only those accounts.
"""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.settings import ReconcileSettings
from takedown.sweep import AccountSweep, Sweeper
from takedown.wiring import build_sweeper

logger = Logger()
metrics = Metrics()

_FAILURE_METRICS = {"credentials": "XAuthFailures", "auth": "XAuthFailures", "credits": "XCreditFailures"}


@cache
def sweeper() -> Sweeper:
    return build_sweeper(ReconcileSettings.from_env(os.environ))


def record(report: AccountSweep) -> None:
    metrics.add_metric(name="SweepPostsRead", unit=MetricUnit.Count, value=report.posts_read)
    metrics.add_metric(name="SweepRepostsEnqueued", unit=MetricUnit.Count, value=report.enqueued)
    extra = {
        "account_id": report.account_id,
        "outcome": report.outcome,
        "since_id": report.since_id,
        "pages": report.pages,
        "posts_read": report.posts_read,
        "reposts": report.reposts,
        "enqueued": report.enqueued,
        "already_inspected": report.already_inspected,
        "held_back": report.held_back,
        "unreadable": list(report.unreadable),
    }
    if report.failure is None:
        logger.info("account swept", extra=extra)
        return
    metrics.add_metric(name="SweepFailures", unit=MetricUnit.Count, value=1)
    if name := _FAILURE_METRICS.get(report.failure):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    logger.error("account sweep failed", extra={**extra, "failure": report.failure, "reason": report.error})


def named_accounts(event: dict) -> frozenset[str] | None:
    """The accounts a manual invocation names; None (every account) for EventBridge's schedule."""
    if "account_ids" not in event:
        return None
    named = event["account_ids"]
    if not isinstance(named, list) or not named or not all(isinstance(a, str) and a.isdecimal() for a in named):
        raise ValueError("account_ids must be a non-empty list of X account ids (decimal strings)")
    return frozenset(named)


@logger.inject_lambda_context
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    reports = sweeper().sweep(only=named_accounts(event))
    for report in reports:
        record(report)
    return {
        "accounts": len(reports),
        "failed": [report.account_id for report in reports if report.failure is not None],
        "enqueued": sum(report.enqueued for report in reports),
    }
