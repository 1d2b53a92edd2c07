"""Settings of each function, read from its environment once per cold start (never at import).

One place for every environment variable the functions read; template.yaml sets them in the cloud,
the local stack and `--env-vars` files set them on a laptop.
"""

from __future__ import annotations

import json
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
class EvidenceSettings:
    """The evidence bucket (takedown.evidence): Object Lock, SSE-KMS with the stack's key."""

    bucket: str
    kms_key_id: str
    retention_days: int  # template.yaml's EvidenceRetentionDays: the operator's decision

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            bucket=_required(env, "EVIDENCE_BUCKET"),
            kms_key_id=_required(env, "EVIDENCE_KMS_KEY_ID"),
            retention_days=int(_required(env, "EVIDENCE_RETENTION_DAYS")),
        )


@dataclass(frozen=True)
class WebhookSettings:
    consumer_secret_id: str  # Secrets Manager id of {"consumer_key": ..., "consumer_secret": ...}
    inspect_queue_url: str
    evidence: EvidenceSettings  # each delivery holding candidates is kept before they are enqueued

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            consumer_secret_id=_required(env, "X_CONSUMER_SECRET_ID"),
            inspect_queue_url=_required(env, "INSPECT_QUEUE_URL"),
            evidence=EvidenceSettings.from_env(env),
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


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class LinkSettings:
    """Following a post's links (takedown.links). Off unless LINKS_FOLLOW is set.

    `allow_loopback` lets the fetcher reach 127.0.0.0/8 and ::1 (and any port): for the local stack
    and tests only. template.yaml never sets LINKS_ALLOW_LOOPBACK.
    """

    follow: bool = False
    budget_seconds: float = 1.5  # the whole resolution of one post's links
    max_hops: int = 5
    max_body_bytes: int = 256 * 1024
    cache_table: str | None = None  # per-URL landing pages, DynamoDB TTL
    cache_ttl_seconds: int = 6 * 3600
    domains_table: str | None = None  # the public domain lists (takedown.feeds)
    feed_names: tuple[str, ...] = ()  # the lists looked up: the names in DOMAIN_FEEDS
    allow_loopback: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        feeds = json.loads(env.get("DOMAIN_FEEDS") or "[]")
        return cls(
            follow=_flag(env, "LINKS_FOLLOW"),
            budget_seconds=float(env.get("LINKS_BUDGET_SECONDS") or 1.5),
            max_hops=int(env.get("LINKS_MAX_HOPS") or 5),
            max_body_bytes=int(env.get("LINKS_MAX_BODY_BYTES") or 256 * 1024),
            cache_table=env.get("LINK_CACHE_TABLE") or None,
            cache_ttl_seconds=int(env.get("LINK_CACHE_TTL_SECONDS") or 6 * 3600),
            domains_table=env.get("DOMAINS_TABLE") or None,
            feed_names=tuple(str(feed["name"]) for feed in feeds),
            allow_loopback=_flag(env, "LINKS_ALLOW_LOOPBACK"),
        )


@dataclass(frozen=True)
class InspectSettings:
    incidents_table: str
    accounts_table: str
    undo_queue_url: str  # where a decided undo goes: inspection itself never calls X
    ledger_table: str  # the inspection ledger: the webhook and the sweep never inspect a post twice
    evidence: EvidenceSettings  # every incident's evidence is kept before its undo is queued
    incident_retention_days: int
    links: LinkSettings = LinkSettings()  # following links: off unless LINKS_FOLLOW is set

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            incidents_table=_required(env, "INCIDENTS_TABLE"),
            accounts_table=_required(env, "ACCOUNTS_TABLE"),
            undo_queue_url=_required(env, "UNDO_QUEUE_URL"),
            ledger_table=_required(env, "INSPECTION_LEDGER_TABLE"),
            evidence=EvidenceSettings.from_env(env),
            incident_retention_days=int(env.get("INCIDENT_RETENTION_DAYS", "400")),
            links=LinkSettings.from_env(env),
        )


@dataclass(frozen=True)
class UndoSettings:
    incidents_table: str
    accounts_table: str
    control_table: str  # X rate budgets and circuit-breaker counts
    undo_queue_url: str  # a postponed undo is sent here again, delayed
    x: XSettings
    teams_webhook_secret_id: str  # the circuit breaker says so in Teams
    max_receive_count: int  # the undo queue's redrive maxReceiveCount: the last receive records undo_failed
    max_failures: int  # tries of one undo that X fails (429, 5xx, timeouts) before undo_failed
    retry_base_seconds: int  # backoff after a transient X failure: base, 2×base, 4×base...
    breaker_max_undos: int  # more undos than this within the window trips the circuit breaker
    breaker_window_minutes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            incidents_table=_required(env, "INCIDENTS_TABLE"),
            accounts_table=_required(env, "ACCOUNTS_TABLE"),
            control_table=_required(env, "CONTROL_TABLE"),
            undo_queue_url=_required(env, "UNDO_QUEUE_URL"),
            x=XSettings.from_env(env),
            teams_webhook_secret_id=_required(env, "TEAMS_WEBHOOK_SECRET_ID"),
            max_receive_count=int(_required(env, "UNDO_MAX_RECEIVE_COUNT")),
            max_failures=int(env.get("UNDO_MAX_FAILURES", "8")),
            retry_base_seconds=int(env.get("UNDO_RETRY_BASE_SECONDS", "5")),
            breaker_max_undos=int(_required(env, "BREAKER_MAX_UNDOS")),
            breaker_window_minutes=int(_required(env, "BREAKER_WINDOW_MINUTES")),
        )


@dataclass(frozen=True)
class ReconcileSettings:
    """The sweep for lost webhooks (functions/reconcile, takedown.sweep)."""

    accounts_table: str  # every subscribed account is swept
    control_table: str  # each account's since_id checkpoint
    ledger_table: str  # posts already inspected are not sent again
    inspect_queue_url: str  # the webhook's own queue: one pipeline
    x: XSettings  # each account's timeline is read with its own credentials
    evidence: EvidenceSettings  # X's answer that listed a post is kept before the post is sent on
    settle_seconds: int = 60  # posts younger than this wait for the next sweep: their webhook may be coming

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            accounts_table=_required(env, "ACCOUNTS_TABLE"),
            control_table=_required(env, "CONTROL_TABLE"),
            ledger_table=_required(env, "INSPECTION_LEDGER_TABLE"),
            inspect_queue_url=_required(env, "INSPECT_QUEUE_URL"),
            x=XSettings.from_env(env),
            evidence=EvidenceSettings.from_env(env),
            settle_seconds=int(env.get("RECONCILE_SETTLE_SECONDS") or 60),
        )


@dataclass(frozen=True)
class RestoreSettings:
    """What `takedown incidents resolve --restore` needs: the accounts' policies and X."""

    accounts_table: str
    x: XSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(accounts_table=_required(env, "ACCOUNTS_TABLE"), x=XSettings.from_env(env))


@dataclass(frozen=True)
class SubscriptionSettings:
    """What `takedown webhook`, `accounts subscribe` and `replay` need: X, the app's bearer token
    (OAuth 2.0 App Only, for the app's own calls) and each account's tokens (to subscribe it)."""

    x: XSettings
    app_secret_id: str  # {"bearer_token": "..."}: the app's bearer token from X's developer portal
    webhook_id: str | None = None  # the webhook to act on; none: the app's only webhook
    accounts_table: str | None = None  # an account's policy may name its own credentials secret

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            x=XSettings.from_env(env),
            app_secret_id=_required(env, "X_APP_SECRET_ID"),
            webhook_id=env.get("X_WEBHOOK_ID") or None,
            accounts_table=env.get("ACCOUNTS_TABLE") or None,
        )


@dataclass(frozen=True)
class NotifySettings:
    incidents_table: str
    teams_webhook_secret_id: str  # {"url": "https://..."}: the Workflows webhook URL is a credential
    console_url: str | None  # the review console: each card's button opens <console_url>/incidents/<id>
    accounts_table: str | None = None  # the accounts' names, for the card
    time_zone: str = "Europe/London"  # the operator's: the card's times are shown in it

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            incidents_table=_required(env, "INCIDENTS_TABLE"),
            teams_webhook_secret_id=_required(env, "TEAMS_WEBHOOK_SECRET_ID"),
            console_url=env.get("CONSOLE_URL") or None,
            accounts_table=env.get("ACCOUNTS_TABLE") or None,
            time_zone=env.get("TIME_ZONE") or "Europe/London",
        )


@dataclass(frozen=True)
class FeedSettings:
    """The daily refresh of public domain lists (functions/feeds)."""

    domains_table: str
    feeds_json: str  # DOMAIN_FEEDS: [{"name": ..., "url": ...}]
    allow_loopback: bool = False  # tests and the local stack only

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            domains_table=_required(env, "DOMAINS_TABLE"),
            feeds_json=env.get("DOMAIN_FEEDS") or "[]",
            allow_loopback=_flag(env, "LINKS_ALLOW_LOOPBACK"),
        )


@dataclass(frozen=True)
class ConsoleSettings:
    """The review console (functions/console): incidents, accounts, and X to restore a retweet."""

    incidents_table: str
    accounts_table: str
    x: XSettings
    time_zone: str = "Europe/London"  # times are shown in the operator's zone (IANA name)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            incidents_table=_required(env, "INCIDENTS_TABLE"),
            accounts_table=_required(env, "ACCOUNTS_TABLE"),
            x=XSettings.from_env(env),
            time_zone=env.get("TIME_ZONE") or "Europe/London",
        )
