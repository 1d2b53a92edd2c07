"""The incidents table in DynamoDB: create-once records, checked state changes, queries by index.

Every state change is one conditional UpdateItem that also appends to the incident's `history`,
so the record says what happened and when, and an illegal change (restoring a confirmed takedown,
undoing a resolved one) is refused by DynamoDB itself, whatever runs concurrently.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from takedown.clock import Clock, utc_now
from takedown.dynamodb_item import from_item, timestamp, to_attribute, to_item
from takedown.evidence import IncidentEvidence
from takedown.incidents.exceptions import IncidentNotFoundError, IncidentTransitionError
from takedown.incidents.model import (
    TRANSITIONS,
    Incident,
    IncidentStatus,
    NotificationStatus,
    Resolution,
    StatusChange,
)

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef

BY_ACCOUNT_INDEX = "by_account"
BY_STATUS_INDEX = "by_status"
DEFAULT_RETENTION_DAYS = 400

_S = IncidentStatus


@dataclass(frozen=True)
class IncidentPage:
    incidents: list[Incident]
    next_token: str | None


class IncidentStore:
    """Reads and writes incidents through a low-level boto3 DynamoDB client passed in."""

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table_name: str,
        clock: Clock = utc_now,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._ddb = dynamodb
        self._table = table_name
        self._clock = clock
        self._retention = timedelta(days=retention_days)

    # ------------------------------------------------------------------ create and read
    def create(self, incident: Incident) -> tuple[Incident, bool]:
        """Write `incident` unless its id exists; return the stored record and whether it was new."""
        expires = incident.detected_at + self._retention
        new = incident.model_copy(
            update={
                "expires_at": int(expires.timestamp()),
                "history": [StatusChange(status=incident.status, at=incident.detected_at)],
            }
        )
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=_to_item(new),
                ConditionExpression="attribute_not_exists(incident_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            existing = _item_on_condition_failure(error)
            if existing is None:  # a failed attribute_not_exists always comes with the item: unexpected
                raise
            return _from_item(existing), False
        return new, True

    def get(self, incident_id: str) -> Incident | None:
        item = self._ddb.get_item(
            TableName=self._table, Key={"incident_id": {"S": incident_id}}, ConsistentRead=True
        ).get("Item")
        return _from_item(item) if item else None

    def list_by_account(
        self,
        account_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        next_token: str | None = None,
    ) -> IncidentPage:
        """The account's incidents, newest first, detected between `since` and `until`."""
        return self._query(BY_ACCOUNT_INDEX, "account_id", account_id, since, until, limit, next_token)

    def list_by_status(
        self,
        status: IncidentStatus,
        since: datetime | None = None,
        limit: int = 50,
        next_token: str | None = None,
    ) -> IncidentPage:
        """Incidents in `status`, newest first: the review queue."""
        return self._query(BY_STATUS_INDEX, "status", status.value, since, None, limit, next_token)

    def _query(
        self,
        index: str,
        key: str,
        value: str,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        next_token: str | None,
    ) -> IncidentPage:
        low = timestamp(since) if since else "0"
        high = timestamp(until) if until else "9"
        request: QueryInputTypeDef = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v AND detected_at BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":v": {"S": value}, ":low": {"S": low}, ":high": {"S": high}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if next_token:
            request["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(next_token))
        response = self._ddb.query(**request)
        last = response.get("LastEvaluatedKey")
        token = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
        return IncidentPage([_from_item(item) for item in response.get("Items", [])], token)

    # ------------------------------------------------------------------ state changes
    def record_undo_attempt(self, incident_id: str) -> Incident:
        return self._update(incident_id, adds={"undo_attempts": 1})

    def record_evidence(self, incident_id: str, evidence: IncidentEvidence) -> Incident:
        """The evidence kept for the incident (takedown.evidence), before anything is done on X."""
        return self._update(incident_id, sets={"evidence": evidence.model_dump(mode="python", exclude_none=True)})

    def record_undo_scheduled(self, incident_id: str, at: datetime, undo_at: datetime, note: str) -> Incident:
        """Say when the undo step will try next, and why, without changing the status (`detected`:
        undo pending); the history keeps every postponement."""
        change = StatusChange(status=_S.DETECTED, at=at, note=note[:500]).model_dump(mode="json")
        change["at"] = timestamp(at)
        return self._update(
            incident_id,
            sets={"undo_scheduled_for": timestamp(undo_at)},
            appends={"history": [change]},
            condition=("#status = :due", {":due": _S.DETECTED.value}),
            refused="an undo can only be scheduled while the incident is detected",
        )

    def record_undone(self, incident_id: str, at: datetime, time_to_takedown_ms: int) -> Incident:
        return self._transition(
            incident_id, _S.UNDONE, at,
            sets={"undone_at": timestamp(at), "time_to_takedown_ms": time_to_takedown_ms},
        )  # fmt: skip

    def record_undo_failed(self, incident_id: str, at: datetime, error: str, permanent: bool) -> Incident:
        return self._transition(
            incident_id, _S.UNDO_FAILED, at, note=error,
            sets={"last_error": error, "last_error_permanent": permanent},
        )  # fmt: skip

    def record_monitored(self, incident_id: str, at: datetime, note: str) -> Incident:
        return self._transition(incident_id, _S.MONITORED, at, note=note)

    def record_notified(self, incident_id: str, at: datetime) -> Incident:
        return self._update(
            incident_id,
            sets={"notification": NotificationStatus.SENT.value, "notified_at": timestamp(at)},
            adds={"notify_attempts": 1},
            condition=("notification <> :sent", {":sent": NotificationStatus.SENT.value}),
        )

    def record_followup_sent(self, incident_id: str, status: IncidentStatus) -> Incident:
        """The follow-up card for `status` was taken; if the incident moved on meanwhile (resolved,
        then restored), this is refused and the follow-up stays pending for the newer status."""
        return self._update(
            incident_id,
            sets={"followup": NotificationStatus.SENT.value},
            condition=("#status = :now", {":now": status.value}),
            refused=f"the follow-up for {status.value} is out of date",
        )

    def record_notify_failed(self, incident_id: str, error: str) -> Incident:
        """Mark the first failure only: later retries come from the stream, not from new writes."""
        return self._update(
            incident_id,
            sets={"notification": NotificationStatus.FAILED.value, "last_notify_error": error},
            adds={"notify_attempts": 1},
            condition=("notification = :pending", {":pending": NotificationStatus.PENDING.value}),
        )

    def resolve(self, incident_id: str, resolution: Resolution, by: str, at: datetime, reason: str = "") -> Incident:
        """Ops' review; the reason (required for a false positive by the console) goes in the history."""
        note = f"{resolution.value} by {by}" + (f": {reason}" if reason else "")
        return self._transition(
            incident_id, _S.RESOLVED, at, note=note,
            sets={
                "resolution": resolution.value,
                "resolved_by": by,
                "resolved_at": timestamp(at),
                "followup": NotificationStatus.PENDING.value,
            },
        )  # fmt: skip

    def record_restored(self, incident_id: str, at: datetime) -> Incident:
        return self._transition(
            incident_id, _S.RESTORED, at, note="repost restored on X",
            sets={"followup": NotificationStatus.PENDING.value},
            condition=("resolution = :fp", {":fp": Resolution.FALSE_POSITIVE.value}),
        )  # fmt: skip

    def _transition(
        self,
        incident_id: str,
        to: IncidentStatus,
        at: datetime,
        note: str = "",
        sets: dict[str, Any] | None = None,
        condition: tuple[str, dict[str, Any]] | None = None,
    ) -> Incident:
        allowed = {f":from{i}": s.value for i, s in enumerate(sorted(TRANSITIONS[to]))}
        change = StatusChange(status=to, at=at, note=note[:500]).model_dump(mode="json")
        change["at"] = timestamp(at)
        expression = f"#status IN ({', '.join(allowed)})"
        values: dict[str, Any] = dict(allowed)
        if condition:
            expression = f"{expression} AND {condition[0]}"
            values.update(condition[1])
        return self._update(
            incident_id,
            sets={"status": to.value, **(sets or {})},
            appends={"history": [change]},
            condition=(expression, values),
            refused=f"{to.value} is not allowed",
        )

    def _update(
        self,
        incident_id: str,
        sets: dict[str, Any] | None = None,
        adds: dict[str, int] | None = None,
        appends: dict[str, list[Any]] | None = None,
        condition: tuple[str, dict[str, Any]] | None = None,
        refused: str = "change refused",
    ) -> Incident:
        names: dict[str, str] = {"#status": "status"}
        values: dict[str, Any] = {}
        set_parts: list[str] = []
        add_parts: list[str] = []
        for i, (name, value) in enumerate((sets or {}).items()):
            names[f"#s{i}"] = name
            values[f":s{i}"] = value
            set_parts.append(f"#s{i} = :s{i}")
        for i, (name, value) in enumerate((appends or {}).items()):
            names[f"#a{i}"] = name
            values[f":a{i}"] = value
            set_parts.append(f"#a{i} = list_append(#a{i}, :a{i})")
        for i, (name, value) in enumerate((adds or {}).items()):
            names[f"#n{i}"] = name
            values[f":n{i}"] = value
            add_parts.append(f"#n{i} :n{i}")
        expression = " ".join(
            part for part in (
                f"SET {', '.join(set_parts)}" if set_parts else "",
                f"ADD {', '.join(add_parts)}" if add_parts else "",
            ) if part
        )  # fmt: skip
        condition_expression = "attribute_exists(incident_id)"
        if condition:
            condition_expression = f"{condition_expression} AND ({condition[0]})"
            values.update(condition[1])
        if "#status" not in expression and "#status" not in condition_expression:
            names.pop("#status")
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key={"incident_id": {"S": incident_id}},
                UpdateExpression=expression,
                ConditionExpression=condition_expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={name: to_attribute(value) for name, value in values.items()},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            current = _item_on_condition_failure(error)
            if current is None:  # attribute_exists(incident_id) failed: there is no such incident
                raise IncidentNotFoundError(incident_id) from None
            status = _from_item(current).status.value
            raise IncidentTransitionError(f"incident {incident_id} is {status}: {refused}") from None
        return _from_item(response["Attributes"])


def _to_item(incident: Incident) -> dict[str, AttributeValueTypeDef]:
    return to_item(incident.model_dump(mode="python", exclude_none=True))


def _from_item(item: Mapping[str, AttributeValueTypeDef]) -> Incident:
    return Incident.model_validate(from_item(item))


def _item_on_condition_failure(error: ClientError) -> dict[str, AttributeValueTypeDef] | None:
    """The item as it was when a condition failed (ReturnValuesOnConditionCheckFailure=ALL_OLD);
    None when there was no item. Any other error is raised again."""
    if _code(error) != "ConditionalCheckFailedException":
        raise error
    item: dict[str, AttributeValueTypeDef] | None = error.response.get("Item")  # type: ignore[assignment]
    return item


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")
