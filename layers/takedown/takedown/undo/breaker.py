"""The circuit breaker: a bad rule or model must not be able to mass-unretweet a force's timeline.

Every first undo of an incident is counted, overall and per signature rule that drove it, in
one-minute buckets of the control table (atomic ADDs, so concurrent undo functions count
together). When a count over the last `window` goes past `max_undos`, the undo is refused and the
caller switches that rule (or all of Takedown, via the kill switch) to monitor until a person
switches it back: nothing resets by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

OVERALL = "all"
_BUCKET = timedelta(minutes=1)
_MAX_SCOPES = 9  # overall + up to 8 rules: one BatchGetItem (100 keys) reads every bucket


@dataclass(frozen=True)
class BreakerLimits:
    max_undos: int = 20  # more than this many undos ...
    window: timedelta = timedelta(minutes=10)  # ... within this long trips the breaker

    def describe(self, count: int) -> str:
        return f"{count} undos in {int(self.window.total_seconds() // 60)} minutes (limit {self.max_undos})"


@dataclass(frozen=True)
class Trip:
    """The scope that went over its limit: `rule` is None when the overall limit did."""

    rule: str | None
    count: int


class CircuitBreaker:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str, limits: BreakerLimits = BreakerLimits()) -> None:
        self._ddb = dynamodb
        self._table = table_name
        self.limits = limits

    def count_undo(self, rules: Sequence[str], now: datetime) -> Trip | None:
        """Count one undo for the overall scope and each rule; the first scope now over its limit, if any."""
        scopes = [OVERALL, *[f"rule:{rule}" for rule in dict.fromkeys(rules)][: _MAX_SCOPES - 1]]
        minute = int(now.timestamp() // _BUCKET.total_seconds())
        expires = str(int((now + self.limits.window + _BUCKET).timestamp()))
        # Each undo learns its own place in this minute's count from the atomic ADD, so undos counted at
        # the same moment get different totals and exactly the first max_undos pass (two undos reading
        # the bucket after both had added would otherwise both see it over the limit).
        totals: dict[str, int] = {}
        for scope in scopes:
            updated = self._ddb.update_item(
                TableName=self._table,
                Key={"pk": {"S": _key(scope, minute)}},
                UpdateExpression="ADD undos :one SET expires_at = :expires",
                ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": expires}},
                ReturnValues="UPDATED_NEW",
            )
            totals[scope] = int(updated["Attributes"]["undos"]["N"])
        buckets = int(self.limits.window / _BUCKET)
        keys = [{"pk": {"S": _key(scope, m)}} for scope in scopes for m in range(minute - buckets + 1, minute)]
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}} if keys else {}
        while request:
            response = self._ddb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                scope = item["pk"]["S"].removeprefix("breaker#").rsplit("#", 1)[0]
                totals[scope] = totals.get(scope, 0) + int(item["undos"]["N"])
            request = response.get("UnprocessedKeys") or {}
        # The narrowest scope first: when one rule is the cause, only that rule stops.
        for scope in [*scopes[1:], OVERALL]:
            if totals[scope] > self.limits.max_undos:
                return Trip(rule=None if scope == OVERALL else scope.removeprefix("rule:"), count=totals[scope])
        return None


def _key(scope: str, minute: int) -> str:
    return f"breaker#{scope}#{minute}"
