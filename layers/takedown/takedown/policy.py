"""Per-account policy and global settings, kept in the accounts table: changed without a deploy.

What to do with them is takedown.decision.decide, a pure function over these values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from takedown.dynamodb_item import from_item, to_item

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

GLOBAL_SETTINGS_ID = "_global"
DEFAULT_MAX_AGE_SECONDS = 60

Mode = Literal["enforce", "monitor"]


class AccountPolicy(BaseModel):
    """How Takedown treats one subscribed account. An account nobody configured is only monitored."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    handle: str | None = None
    name: str | None = None  # the account's display name on X, shown to ops
    mode: Mode = "monitor"
    trusted_author_ids: frozenset[str] = Field(default_factory=frozenset)
    trusted_domains: frozenset[str] = Field(default_factory=frozenset)
    credentials_secret: str | None = None  # overrides <prefix><account id>


class GlobalSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    kill_switch: bool = False  # on: nothing is undone anywhere; incidents are recorded and reported
    kill_switch_reason: str | None = None  # who or what switched it on (an operator, the circuit breaker)
    trusted_domains: frozenset[str] = Field(default_factory=frozenset)
    # Rules (and model parts) the circuit breaker switched to monitor: their detections are only
    # recorded and reported until a person switches them back (`takedown breaker reset`).
    monitored_rules: frozenset[str] = Field(default_factory=frozenset)


@dataclass
class _Cached:
    value: dict[str, Any] | None
    read_at: float


@dataclass
class PolicyStore:
    """Reads policies through a low-level DynamoDB client, reusing each for `max_age_seconds`."""

    dynamodb: DynamoDBClient
    table_name: str
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, _Cached] = field(default_factory=dict, init=False, repr=False)

    def policy_for(self, account_id: str) -> AccountPolicy:
        item = self._read(account_id)
        return AccountPolicy.model_validate(item) if item else AccountPolicy(account_id=account_id)

    def settings(self) -> GlobalSettings:
        item = self._read(GLOBAL_SETTINGS_ID)
        return GlobalSettings.model_validate(item) if item else GlobalSettings()

    def put_policy(self, policy: AccountPolicy) -> None:
        self._write(policy.account_id, policy.model_dump(mode="json"))

    def set_kill_switch(self, on: bool, reason: str | None = None) -> None:
        self._update_settings(kill_switch=on, kill_switch_reason=reason if on else None)

    def set_rule_monitored(self, rule: str, monitored: bool) -> None:
        """Switch one rule (or model part) to monitor, or back to enforce."""
        rules = set(self._fresh_settings().monitored_rules)
        (rules.add if monitored else rules.discard)(rule)
        self._update_settings(monitored_rules=frozenset(rules))

    def _fresh_settings(self) -> GlobalSettings:
        self._cache.pop(GLOBAL_SETTINGS_ID, None)
        return self.settings()

    def _update_settings(self, **changes: Any) -> None:
        updated = self._fresh_settings().model_copy(update=changes)
        self._write(GLOBAL_SETTINGS_ID, updated.model_dump(mode="json"))

    def _read(self, account_id: str) -> dict[str, Any] | None:
        cached = self._cache.get(account_id)
        now = self.clock()
        if cached is not None and now - cached.read_at < self.max_age_seconds:
            return cached.value
        item = self.dynamodb.get_item(TableName=self.table_name, Key={"account_id": {"S": account_id}}).get("Item")
        value = from_item(item) if item else None
        self._cache[account_id] = _Cached(value, now)
        return value

    def _write(self, account_id: str, data: dict[str, Any]) -> None:
        self.dynamodb.put_item(TableName=self.table_name, Item=to_item({**data, "account_id": account_id}))
        self._cache.pop(account_id, None)
