"""Each account's X budget per endpoint, kept from X's own rate-limit headers in the control table.

X allows 50 unretweets (and 50 deletes) per 15 minutes per user and says, on every answer, how many
are left (`x-rate-limit-remaining`) and when the window resets (`x-rate-limit-reset`). Before an
undo calls X it reserves one call: a conditional decrement that is refused while the budget is
known to be spent, so concurrent undo functions of one account do not stampede X into 429s. What X
answers then sets the budget again; a 429 is the backstop.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from takedown.x_api import RateLimit, XAction

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

_KEEP_AFTER_RESET = timedelta(hours=1)  # the control table's TTL removes stale windows after this


class XRateBudget:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._ddb = dynamodb
        self._table = table_name

    def reserve(self, account_id: str, action: XAction, now: datetime) -> datetime | None:
        """Take one call of the account's budget: None when it may call X now, else when to try again."""
        key = _key(account_id, action)
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression="ADD remaining :minus_one",
                ConditionExpression="attribute_not_exists(reset_at) OR reset_at <= :now OR remaining > :zero",
                ExpressionAttributeValues={
                    ":minus_one": {"N": "-1"},
                    ":zero": {"N": "0"},
                    ":now": {"N": str(int(now.timestamp()))},
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            item = self._ddb.get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True)["Item"]
            return datetime.fromtimestamp(int(item["reset_at"]["N"]), UTC)
        return None

    def record(self, account_id: str, action: XAction, rate_limit: RateLimit | None) -> None:
        """Keep what X said about the budget (nothing when it sent no headers)."""
        if rate_limit is None:
            return
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": _key(account_id, action)},
                "limit": {"N": str(rate_limit.limit)},
                "remaining": {"N": str(rate_limit.remaining)},
                "reset_at": {"N": str(int(rate_limit.reset_at.timestamp()))},
                "expires_at": {"N": str(int((rate_limit.reset_at + _KEEP_AFTER_RESET).timestamp()))},
            },
        )


def _key(account_id: str, action: XAction) -> str:
    return f"x-rate#{account_id}#{action}"
