"""Feeds function: EventBridge, daily by default, refreshes the public domain lists into the domains table.

A thin adapter: takedown.feeds does the work, takedown.wiring builds it. Each feed's report is one
log line (what was added and removed); a feed that failed, or shrank by more than half, is left as
it was and counted in `FeedRefreshFailures`, which is alarmed.
"""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.feeds import FeedRefresher, feeds_from_json
from takedown.settings import FeedSettings
from takedown.wiring import build_feed_refresher

logger = Logger()
metrics = Metrics()


class PowertoolsFeedMetrics:
    def feed_applied(self, name: str, domains: int, added: int, removed: int) -> None:
        metrics.add_metric(name="FeedDomainsAdded", unit=MetricUnit.Count, value=added)
        metrics.add_metric(name="FeedDomainsRemoved", unit=MetricUnit.Count, value=removed)

    def feed_failed(self, name: str) -> None:
        metrics.add_metric(name="FeedRefreshFailures", unit=MetricUnit.Count, value=1)


@cache
def settings() -> FeedSettings:
    return FeedSettings.from_env(os.environ)


@cache
def refresher() -> FeedRefresher:
    return build_feed_refresher(settings(), PowertoolsFeedMetrics())


@logger.inject_lambda_context
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    reports = refresher().refresh(feeds_from_json(settings().feeds_json))
    for report in reports:
        level = logger.info if report.outcome == "applied" else logger.error
        level("feed refreshed" if report.outcome == "applied" else "feed not applied", extra=report.summary())
    return {"feeds": [report.summary() for report in reports]}
