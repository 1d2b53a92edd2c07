"""The inspection ledger: which candidate posts were already inspected, by which path, kept a while.

Two paths bring a post to inspection: X's webhook, and the sweep (takedown.sweep), which reads each
account's timeline for posts whose webhook never came. The ledger makes them never double-act: the
first inspection to finish records the post (a conditional put on the business key, account id +
post id); a later message for the same post, from either path, finds the entry and is skipped, and
the caller counts it. Entries expire (DynamoDB TTL) after `retention`, longer than anything can
bring the same post back: the sweep's first look-back, X's 24-hour replay.

It is written when an inspection has finished, never before: an inspection that crashes leaves no
entry, so its message (or the other path) inspects the post again, and the incident's own
create-once write (takedown.incidents.store) keeps that repeat from acting twice. Two messages of
one post inspected at the same moment both run; the incident keeps one undo, and the ledger keeps
the first entry and tells the second it came second.

    ledger = InspectionLedger(dynamodb, "takedown-ledger")
    if ledger.entry(key) is None:
        ...inspect...
        earlier = ledger.record(key, "sweep", "scheduled", now)  # None: this inspection was the first
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from takedown.dynamodb_item import timestamp
from takedown.post import FoundBy

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_dynamodb.type_defs import AttributeValueTypeDef

DEFAULT_RETENTION = timedelta(days=7)
_KEY = "inspection_key"
_BATCH_GET_KEYS = 100  # DynamoDB BatchGetItem's maximum


class LedgerEntry(BaseModel):
    """One inspected post: how it was found, what the inspection concluded, and when."""

    model_config = ConfigDict(frozen=True)

    key: str  # the business key: account id + post id
    found_by: FoundBy
    outcome: str  # the inspection's outcome (clean, scheduled, monitored...)
    inspected_at: datetime


class InspectionLedger:
    """The ledger in its DynamoDB table (key `inspection_key`, TTL `expires_at`), through a
    low-level boto3 client passed in."""

    def __init__(self, dynamodb: DynamoDBClient, table_name: str, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._ddb = dynamodb
        self._table = table_name
        self._retention = retention

    def entry(self, key: str) -> LedgerEntry | None:
        """The post's entry if it was inspected (read consistently), else None."""
        item = self._ddb.get_item(TableName=self._table, Key={_KEY: {"S": key}}, ConsistentRead=True).get("Item")
        return _entry(item) if item else None

    def record(self, key: str, found_by: FoundBy, outcome: str, at: datetime) -> LedgerEntry | None:
        """Record the post as inspected unless it is already: None when this was the first
        inspection, else the entry of the one that came first (which stays as it was)."""
        item: dict[str, AttributeValueTypeDef] = {
            _KEY: {"S": key},
            "found_by": {"S": found_by},
            "outcome": {"S": outcome},
            "inspected_at": {"S": timestamp(at)},
            "expires_at": {"N": str(int((at + self._retention).timestamp()))},
        }
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(inspection_key)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            existing: dict[str, AttributeValueTypeDef] | None = error.response.get("Item")  # type: ignore[assignment]
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException" or not existing:
                raise
            return _entry(existing)
        return None

    def inspected(self, keys: Iterable[str]) -> frozenset[str]:
        """Which of `keys` were inspected: the sweep sends only the others to inspection."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), _BATCH_GET_KEYS):
            pending: Sequence[Mapping[str, AttributeValueTypeDef]] = [
                {_KEY: {"S": key}} for key in wanted[start : start + _BATCH_GET_KEYS]
            ]
            while pending:
                response = self._ddb.batch_get_item(
                    RequestItems={self._table: {"Keys": pending, "ProjectionExpression": _KEY, "ConsistentRead": True}}
                )
                found.update(str(item[_KEY]["S"]) for item in response.get("Responses", {}).get(self._table, []))
                unprocessed = response.get("UnprocessedKeys", {}).get(self._table)
                pending = unprocessed["Keys"] if unprocessed else []
        return frozenset(found)


def _entry(item: dict[str, AttributeValueTypeDef]) -> LedgerEntry:
    return LedgerEntry.model_validate(
        {
            "key": item[_KEY]["S"],
            "found_by": item["found_by"]["S"],
            "outcome": item["outcome"]["S"],
            "inspected_at": item["inspected_at"]["S"],
        }
    )
