"""Changing accounts from the console: mode, trusted authors and domains, the global kill switch.

Every change is one DynamoDB transaction: a put of the account's item conditioned on the revision
that was read (a concurrent change is refused, never overwritten) and an entry appended to this
month's audit item (`_audit#YYYY-MM`) saying who changed what, when and why. Attributes this module
does not know (written by the circuit breaker, say) are kept as they were.

    admin = AccountAdmin(dynamodb, "takedown-accounts")
    admin.set_mode("1072250532645998596", "monitor", by="ops@force.example", reason="new staff")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from takedown.clock import Clock, utc_now
from takedown.dynamodb_item import from_item, timestamp, to_attribute, to_item
from takedown.policy import GLOBAL_SETTINGS_ID, AccountPolicy, Mode

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_dynamodb.type_defs import PutTypeDef

AUDIT_PREFIX = "_audit#"
TrustKind = Literal["author", "domain"]
_TRUST_FIELDS: dict[TrustKind, str] = {"author": "trusted_author_ids", "domain": "trusted_domains"}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_AUTHOR_ID = re.compile(r"^[0-9]{1,20}$")
_MAX_REASON = 500


class AccountChangeError(Exception):
    """A change that was not made; the message says why in words a reviewer can act on."""


class AccountNotFoundError(AccountChangeError):
    """No account with that id is subscribed."""


class AccountConflictError(AccountChangeError):
    """Already so (the same mode, already trusted, the kill switch already on), or changed meanwhile."""


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    by: str
    account_id: str  # `_global` for the kill switch
    change: str
    reason: str


@dataclass(frozen=True)
class KillSwitch:
    on: bool
    reason: str | None


class AccountAdmin:
    """Reads and changes the accounts table through a low-level boto3 DynamoDB client."""

    def __init__(self, dynamodb: DynamoDBClient, table_name: str, clock: Clock = utc_now) -> None:
        self._ddb = dynamodb
        self._table = table_name
        self._clock = clock

    # ------------------------------------------------------------------ reading
    def accounts(self) -> list[AccountPolicy]:
        """Every subscribed account (a small table of configuration: read whole, by handle)."""
        found: list[AccountPolicy] = []
        request: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True}
        while True:
            response = self._ddb.scan(**request)
            for item in response.get("Items", []):
                values = from_item(item)
                if not str(values.get("account_id", "")).startswith("_"):
                    found.append(AccountPolicy.model_validate(values))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return sorted(found, key=lambda policy: ((policy.handle or "").lower(), policy.account_id))

    def account(self, account_id: str) -> AccountPolicy | None:
        values = self._read(account_id)
        return AccountPolicy.model_validate(values) if values else None

    def kill_switch(self) -> KillSwitch:
        values = self._read(GLOBAL_SETTINGS_ID) or {}
        return KillSwitch(bool(values.get("kill_switch", False)), values.get("kill_switch_reason"))

    def audit(self, months: int = 2) -> list[AuditEntry]:
        """This month's changes and those of the `months - 1` before, newest first."""
        entries: list[AuditEntry] = []
        for key in _audit_keys(self._clock(), months):
            values = self._read(key) or {}
            entries.extend(AuditEntry.model_validate(entry) for entry in values.get("entries", []))
        return sorted(entries, key=lambda entry: entry.at, reverse=True)

    # ------------------------------------------------------------------ changes
    def set_mode(self, account_id: str, mode: Mode, *, by: str, reason: str) -> AccountPolicy:
        if mode not in ("enforce", "monitor"):
            raise AccountChangeError(f"mode must be enforce or monitor, not {mode!r}")
        current = self._existing_account(account_id)
        if current.get("mode", "monitor") == mode:
            raise AccountConflictError(f"{_name(current)} is already in {mode} mode")
        change = f"mode {current.get('mode', 'monitor')} → {mode}"
        return self._change_account(current, {"mode": mode}, change, by, reason)

    def set_trusted(
        self, account_id: str, kind: TrustKind, value: str, *, trusted: bool, by: str, reason: str
    ) -> AccountPolicy:
        """Add (or remove) a trusted author id or domain: their posts are never undone for this account."""
        value = _valid_trust_value(kind, value)
        current = self._existing_account(account_id)
        field = _TRUST_FIELDS[kind]
        values = set(current.get(field) or [])
        if trusted and value in values:
            raise AccountConflictError(f"{kind} {value} is already trusted for {_name(current)}")
        if not trusted and value not in values:
            raise AccountConflictError(f"{kind} {value} is not on {_name(current)}'s trusted list")
        (values.add if trusted else values.discard)(value)
        change = f"{'trusted' if trusted else 'no longer trusted'}: {kind} {value}"
        return self._change_account(current, {field: sorted(values)}, change, by, reason)

    def set_kill_switch(self, on: bool, *, by: str, reason: str) -> KillSwitch:
        """On: nothing is undone anywhere (detections are recorded and reported); off: back to each
        account's mode."""
        reason = _valid_reason(reason)
        current = self._read(GLOBAL_SETTINGS_ID)
        if bool((current or {}).get("kill_switch", False)) == on:
            raise AccountConflictError(f"the kill switch is already {'on' if on else 'off'}")
        updated = {**(current or {}), "account_id": GLOBAL_SETTINGS_ID, "kill_switch": on}
        if on:
            updated["kill_switch_reason"] = f"{reason} ({by})"
        else:
            updated.pop("kill_switch_reason", None)
        self._write(current, updated, f"kill switch {'on' if on else 'off'}", by, reason)
        return KillSwitch(on, updated.get("kill_switch_reason"))

    # ------------------------------------------------------------------ internals
    def _existing_account(self, account_id: str) -> dict[str, Any]:
        if account_id.startswith("_"):
            raise AccountNotFoundError(f"{account_id} is not an account")
        current = self._read(account_id)
        if current is None:
            raise AccountNotFoundError(f"no account {account_id} is subscribed")
        return current

    def _change_account(
        self, current: dict[str, Any], changes: dict[str, Any], change: str, by: str, reason: str
    ) -> AccountPolicy:
        updated = {**current, **changes}
        self._write(current, updated, change, by, _valid_reason(reason))
        return AccountPolicy.model_validate(updated)

    def _write(
        self, current: dict[str, Any] | None, updated: dict[str, Any], change: str, by: str, reason: str
    ) -> None:
        now = self._clock()
        revision = int((current or {}).get("revision", 0))
        updated = {**updated, "revision": revision + 1}
        if current is None:
            condition, values = "attribute_not_exists(account_id)", {}
        elif "revision" in current:
            condition, values = "revision = :revision", {":revision": to_attribute(revision)}
        else:
            condition, values = "attribute_exists(account_id) AND attribute_not_exists(revision)", {}
        entry = AuditEntry(at=now, by=by, account_id=str(updated["account_id"]), change=change, reason=reason)
        entry_value = {**entry.model_dump(mode="json"), "at": timestamp(now)}
        put: PutTypeDef = {"TableName": self._table, "Item": to_item(updated), "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = values
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {"Put": put},
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"account_id": {"S": f"{AUDIT_PREFIX}{now:%Y-%m}"}},
                            "UpdateExpression": "SET entries = list_append(if_not_exists(entries, :none), :entry)",
                            "ExpressionAttributeValues": {":none": {"L": []}, ":entry": to_attribute([entry_value])},
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise AccountConflictError(
                    "someone else changed this at the same moment: nothing was changed; reload and try again"
                ) from None
            raise

    def _read(self, account_id: str) -> dict[str, Any] | None:
        item = self._ddb.get_item(
            TableName=self._table, Key={"account_id": {"S": account_id}}, ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None


def _audit_keys(now: datetime, months: int) -> list[str]:
    keys: list[str] = []
    month = now.replace(day=1)
    for _ in range(months):
        keys.append(f"{AUDIT_PREFIX}{month:%Y-%m}")
        month = (month - timedelta(days=1)).replace(day=1)
    return keys


def _valid_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise AccountChangeError("say why: a reason is required for every change to an account")
    if len(reason) > _MAX_REASON:
        raise AccountChangeError(f"the reason is too long ({len(reason)} characters; at most {_MAX_REASON})")
    return reason


def _valid_trust_value(kind: TrustKind, value: str) -> str:
    value = value.strip().lower()
    if kind == "domain":
        value = value.removeprefix("https://").removeprefix("http://").split("/", 1)[0].removeprefix("www.")
        if not _DOMAIN.match(value):
            raise AccountChangeError(f"{value!r} is not a domain name (for example bbc.co.uk)")
    elif kind == "author":
        if not _AUTHOR_ID.match(value):
            raise AccountChangeError(f"{value!r} is not an X user id (digits only)")
    else:
        raise AccountChangeError(f"cannot trust a {kind!r}: only an author or a domain")
    return value


def _name(values: dict[str, Any]) -> str:
    handle = values.get("handle")
    return f"@{handle}" if handle else str(values.get("account_id"))
