"""Settings of each function, read from its environment once per cold start (never at import).

One place for every environment variable the functions read; template.yaml sets them in the cloud,
the local stack and `--env-vars` files set them on a laptop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

# How long a secret or policy read from AWS is reused before it is read again: rotations and
# policy changes take effect within this time, without a deploy.
SECRET_MAX_AGE_SECONDS = 300
X_API_BASE_URL = "https://api.x.com"  # template.yaml's XApiBaseUrl default; a stand-in's URL locally


class ConfigurationError(Exception):
    """A function was deployed without a setting it needs."""


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class WebhookSettings:
    consumer_secret_id: str  # Secrets Manager id of {"consumer_key": ..., "consumer_secret": ...}
    inspect_queue_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            consumer_secret_id=_required(env, "X_CONSUMER_SECRET_ID"),
            inspect_queue_url=_required(env, "INSPECT_QUEUE_URL"),
        )


@dataclass(frozen=True)
class XSettings:
    """Where X is and where the credentials to act on it as each account are kept."""

    consumer_secret_id: str  # the app's {"consumer_key", "consumer_secret"}
    account_secret_prefix: str  # + account id: that account's X user credentials
    base_url: str = X_API_BASE_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            consumer_secret_id=_required(env, "X_CONSUMER_SECRET_ID"),
            account_secret_prefix=_required(env, "X_ACCOUNT_SECRET_PREFIX"),
            base_url=env.get("X_API_BASE_URL") or X_API_BASE_URL,
        )


@dataclass(frozen=True)
class InspectSettings:
    incidents_table: str
    accounts_table: str
    inspect_queue_url: str
    x_api_base_url: str
    x_consumer_secret_id: str
    x_account_secret_prefix: str  # + account id: that account's X user credentials
    incident_retention_days: int
    max_receive_count: int  # the inspect queue's redrive maxReceiveCount: the last try records undo_failed
    retry_base_seconds: int  # backoff after a transient X failure: base, 2×base, 4×base...

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            incidents_table=_required(env, "INCIDENTS_TABLE"),
            accounts_table=_required(env, "ACCOUNTS_TABLE"),
            inspect_queue_url=_required(env, "INSPECT_QUEUE_URL"),
            x_api_base_url=env.get("X_API_BASE_URL") or X_API_BASE_URL,
            x_consumer_secret_id=_required(env, "X_CONSUMER_SECRET_ID"),
            x_account_secret_prefix=_required(env, "X_ACCOUNT_SECRET_PREFIX"),
            incident_retention_days=int(env.get("INCIDENT_RETENTION_DAYS", "400")),
            max_receive_count=int(_required(env, "INSPECT_MAX_RECEIVE_COUNT")),
            retry_base_seconds=int(env.get("INSPECT_RETRY_BASE_SECONDS", "5")),
        )

    @property
    def x(self) -> XSettings:
        return XSettings(self.x_consumer_secret_id, self.x_account_secret_prefix, self.x_api_base_url)


@dataclass(frozen=True)
class RestoreSettings:
    """What `takedown incidents resolve --restore` needs: the accounts' policies and X."""

    accounts_table: str
    x: XSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(accounts_table=_required(env, "ACCOUNTS_TABLE"), x=XSettings.from_env(env))


@dataclass(frozen=True)
class NotifySettings:
    incidents_table: str
    teams_webhook_secret_id: str  # {"url": "https://..."}: the Workflows webhook URL is a credential
    review_url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            incidents_table=_required(env, "INCIDENTS_TABLE"),
            teams_webhook_secret_id=_required(env, "TEAMS_WEBHOOK_SECRET_ID"),
            review_url=env.get("REVIEW_URL") or None,
        )
