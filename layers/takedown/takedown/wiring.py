"""Composition: the one place that builds AWS clients, secrets providers, X and Teams clients, and
wires them into the library's objects. Handlers and the CLI call these once (per cold start, per
command); everything else receives what it needs as arguments.

    inspection = build_queued_inspection(InspectSettings.from_env(os.environ), metrics)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
import httpx
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from botocore.exceptions import ClientError
from pydantic import SecretStr

from takedown.console import AccountAdmin, ReviewDesk, build_console_app
from takedown.evidence import EvidenceLocker
from takedown.feeds import DynamoDbDomainStore, FeedMetrics, FeedRefresher
from takedown.incidents.store import IncidentStore
from takedown.inspect_queue import SqsInspectQueue
from takedown.inspection import InspectionMetrics, Inspector, QueuedInspection
from takedown.judgement.judge import Judge
from takedown.ledger import InspectionLedger
from takedown.links import DynamoDbLinkCache, HopFetcher, LinkCache, LinkResolver, MemoryLinkCache, SystemResolver
from takedown.notification import IncidentNotifier, NotificationMetrics
from takedown.policy import AccountPolicy, PolicyStore
from takedown.readable import time_zone
from takedown.settings import (
    SECRET_MAX_AGE_SECONDS,
    ConsoleSettings,
    EvidenceSettings,
    FeedSettings,
    InspectSettings,
    LinkSettings,
    NotifySettings,
    ReconcileSettings,
    RestoreSettings,
    SubscriptionSettings,
    UndoSettings,
    WebhookSettings,
    XSettings,
)
from takedown.signatures import SignatureEngine
from takedown.sweep import SweepCheckpoints, Sweeper
from takedown.teams import TeamsNotifier
from takedown.undo import BreakerLimits, CircuitBreaker, QueuedUndo, SqsUndoQueue, UndoStep, XRateBudget
from takedown.undo.alerts import TeamsBreakerAlert
from takedown.undo.step import UndoMetrics
from takedown.webhook import WebhookIntake
from takedown.x_api import XClient, XCredentials, XCredentialsError
from takedown.x_subscriptions import XSubscriptions

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_s3 import S3Client
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_sqs import SQSClient


# boto3 clients; endpoints come from the environment (AWS_ENDPOINT_URL_<SERVICE> locally).
def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb")


def sqs_client() -> SQSClient:
    return boto3.client("sqs")


def secretsmanager_client() -> SecretsManagerClient:
    return boto3.client("secretsmanager")


def s3_client() -> S3Client:
    return boto3.client("s3")


def secrets_provider() -> SecretsProvider:
    return SecretsProvider(boto3_client=secretsmanager_client())


def json_secret(secrets: SecretsProvider, secret_id: str) -> dict[str, Any]:
    """A JSON secret, cached and re-read when it ages, so that rotations apply without a deploy."""
    value = secrets.get(secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, dict):
        raise TypeError(f"secret {secret_id} is not a JSON object")
    return value


def x_client_factory(settings: XSettings, secrets: SecretsProvider | None = None) -> Callable[[AccountPolicy], XClient]:
    """X clients per account: the app's consumer credentials plus the account's user tokens."""
    secrets = secrets or secrets_provider()
    http = httpx.Client()

    def client_for(policy: AccountPolicy) -> XClient:
        return XClient(http, _account_credentials(secrets, settings, policy), base_url=settings.base_url)

    return client_for


def _account_credentials(secrets: SecretsProvider, settings: XSettings, policy: AccountPolicy) -> XCredentials:
    """The app's consumer credentials plus the account's user tokens, from their secrets."""
    app = _credentials_secret(secrets, settings.consumer_secret_id)
    user = _credentials_secret(
        secrets, policy.credentials_secret or f"{settings.account_secret_prefix}{policy.account_id}"
    )
    return XCredentials.from_secret_string(json.dumps({**app, **user}))


def build_x_subscriptions(settings: SubscriptionSettings) -> tuple[XSubscriptions, Callable[[str], XCredentials]]:
    """For `takedown webhook|accounts|replay`: X as the app (its bearer token), and each account's
    credentials by account id (its policy's own secret when the accounts table names one)."""
    secrets = secrets_provider()
    app = _credentials_secret(secrets, settings.app_secret_id)
    token = app.get("bearer_token")
    if not isinstance(token, str) or not token.strip():
        raise XCredentialsError(f"secret {settings.app_secret_id} has no bearer_token")
    admin = XSubscriptions(httpx.Client(), SecretStr(token), base_url=settings.x.base_url)
    policies = PolicyStore(dynamodb_client(), settings.accounts_table) if settings.accounts_table else None

    def credentials_for(account_id: str) -> XCredentials:
        policy = policies.policy_for(account_id) if policies else AccountPolicy(account_id=account_id)
        return _account_credentials(secrets, settings.x, policy)

    return admin, credentials_for


# Secrets Manager answers that mean "no usable credentials": a person must set them. Throttling and
# outages are not among them; they propagate, and the queue tries again.
_MISSING_SECRET_CODES = frozenset({"ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure"})


def _credentials_secret(secrets: SecretsProvider, secret_id: str) -> dict[str, Any]:
    try:
        return json_secret(secrets, secret_id)
    except (TransformParameterError, TypeError):
        raise XCredentialsError(f"secret {secret_id} is not a JSON object") from None
    except GetParameterError as error:
        cause = error.__cause__ or error.__context__
        code = cause.response.get("Error", {}).get("Code", "") if isinstance(cause, ClientError) else ""
        if code in _MISSING_SECRET_CODES:
            raise XCredentialsError(f"secret {secret_id}: {code}") from None
        raise


def build_webhook_intake(settings: WebhookSettings) -> WebhookIntake:
    secrets = secrets_provider()

    def consumer_secret() -> str:
        return str(json_secret(secrets, settings.consumer_secret_id)["consumer_secret"])

    queue = SqsInspectQueue(sqs_client(), settings.inspect_queue_url)
    return WebhookIntake(consumer_secret, queue, build_evidence_locker(settings.evidence))


def build_evidence_locker(settings: EvidenceSettings) -> EvidenceLocker:
    return EvidenceLocker(s3_client(), settings.bucket, settings.kms_key_id, settings.retention_days)


def build_inspector(settings: InspectSettings, metrics: InspectionMetrics) -> Inspector:
    dynamodb = dynamodb_client()
    return Inspector(
        classifier=Judge.load_default(),
        policies=PolicyStore(dynamodb, settings.accounts_table),
        incidents=IncidentStore(dynamodb, settings.incidents_table, retention_days=settings.incident_retention_days),
        undo_queue=SqsUndoQueue(sqs_client(), settings.undo_queue_url),
        metrics=metrics,
        evidence=build_evidence_locker(settings.evidence),
        links=build_link_resolver(settings.links, dynamodb) if settings.links.follow else None,
    )


def build_link_resolver(settings: LinkSettings, dynamodb: DynamoDBClient | None = None) -> LinkResolver:
    """The link resolver: vetted fetches straight to an httpx transport (no cookie jar, no proxies from
    the environment), the DynamoDB cache and domain lists when their tables are set, else in memory."""
    fetcher = HopFetcher(
        httpx.HTTPTransport(retries=0),
        SystemResolver(),
        allow_loopback=settings.allow_loopback,
        max_body_bytes=settings.max_body_bytes,
    )
    cache: LinkCache = MemoryLinkCache(settings.cache_ttl_seconds)
    domains = None
    if settings.cache_table:
        dynamodb = dynamodb or dynamodb_client()
        cache = DynamoDbLinkCache(dynamodb, settings.cache_table, settings.cache_ttl_seconds)
    if settings.domains_table and settings.feed_names:
        dynamodb = dynamodb or dynamodb_client()
        domains = DynamoDbDomainStore(dynamodb, settings.domains_table, settings.feed_names)
    return LinkResolver(
        fetcher,
        cache,
        domains=domains,
        trusted_domains=SignatureEngine.load_default().trusted_domains,
        budget_seconds=settings.budget_seconds,
        max_hops=settings.max_hops,
    )


def build_feed_refresher(settings: FeedSettings, metrics: FeedMetrics) -> FeedRefresher:
    """The daily list refresh: downloads through the same vetted fetcher, into the domains table."""
    fetcher = HopFetcher(httpx.HTTPTransport(retries=1), SystemResolver(), allow_loopback=settings.allow_loopback)
    store = DynamoDbDomainStore(dynamodb_client(), settings.domains_table)
    return FeedRefresher(fetcher, store, SignatureEngine.load_default().trusted_domains, metrics)


def build_queued_inspection(settings: InspectSettings, metrics: InspectionMetrics) -> QueuedInspection:
    ledger = InspectionLedger(dynamodb_client(), settings.ledger_table)
    return QueuedInspection(build_inspector(settings, metrics), ledger)


def build_sweeper(settings: ReconcileSettings) -> Sweeper:
    """The sweep for lost webhooks: every account in the accounts table, read on X with its own
    credentials, its new reposts sent to the webhook's inspect queue unless the ledger knows them,
    with X's answer that listed them kept as their evidence."""
    dynamodb = dynamodb_client()
    return Sweeper(
        accounts=AccountAdmin(dynamodb, settings.accounts_table),
        reader_for=x_client_factory(settings.x),
        checkpoints=SweepCheckpoints(dynamodb, settings.control_table),
        ledger=InspectionLedger(dynamodb, settings.ledger_table),
        queue=SqsInspectQueue(sqs_client(), settings.inspect_queue_url),
        evidence=build_evidence_locker(settings.evidence),
        settle=timedelta(seconds=settings.settle_seconds),
    )


def build_queued_undo(settings: UndoSettings, metrics: UndoMetrics) -> QueuedUndo:
    dynamodb = dynamodb_client()
    secrets = secrets_provider()
    http = httpx.Client()
    incidents = IncidentStore(dynamodb, settings.incidents_table)

    def teams() -> TeamsNotifier:
        return TeamsNotifier(http, str(json_secret(secrets, settings.teams_webhook_secret_id)["url"]))

    step = UndoStep(
        incidents=incidents,
        policies=PolicyStore(dynamodb, settings.accounts_table),
        undoer_for=x_client_factory(settings.x, secrets),
        scheduler=SqsUndoQueue(sqs_client(), settings.undo_queue_url),
        budget=XRateBudget(dynamodb, settings.control_table),
        breaker=CircuitBreaker(
            dynamodb,
            settings.control_table,
            BreakerLimits(settings.breaker_max_undos, timedelta(minutes=settings.breaker_window_minutes)),
        ),
        alert=TeamsBreakerAlert(teams),
        metrics=metrics,
        max_failures=settings.max_failures,
        retry_base_seconds=settings.retry_base_seconds,
    )
    return QueuedUndo(step, incidents, settings.max_receive_count)


def build_notifier(settings: NotifySettings, metrics: NotificationMetrics) -> IncidentNotifier:
    """The notifier; the Teams URL is re-read from Secrets Manager when it ages."""
    secrets = secrets_provider()
    http = httpx.Client()

    def teams() -> TeamsNotifier:
        return TeamsNotifier(http, str(json_secret(secrets, settings.teams_webhook_secret_id)["url"]))

    dynamodb = dynamodb_client()
    incidents = IncidentStore(dynamodb, settings.incidents_table)
    policies = PolicyStore(dynamodb, settings.accounts_table) if settings.accounts_table else None
    return IncidentNotifier(
        incidents,
        teams,
        metrics,
        settings.console_url,
        zone=time_zone(settings.time_zone),
        account_name=(lambda account_id: policies.policy_for(account_id).name) if policies else None,
    )


def build_incident_store(table: str) -> IncidentStore:
    return IncidentStore(dynamodb_client(), table)


def build_policy_store(table: str) -> PolicyStore:
    """For `takedown breaker`: the accounts table, read fresh."""
    return PolicyStore(dynamodb_client(), table, max_age_seconds=0)


def build_restorer(settings: RestoreSettings) -> Callable[[str], XClient]:
    """For `takedown incidents resolve --restore`: the X client of an account, by its policy."""
    policies = PolicyStore(dynamodb_client(), settings.accounts_table)
    client_for = x_client_factory(settings.x)
    return lambda account_id: client_for(policies.policy_for(account_id))


def build_console(settings: ConsoleSettings) -> APIGatewayHttpResolver:
    """The review console's routes over the incidents and accounts tables; X only to restore."""
    dynamodb = dynamodb_client()
    accounts = AccountAdmin(dynamodb, settings.accounts_table)
    policies = PolicyStore(dynamodb, settings.accounts_table)
    client_for = x_client_factory(settings.x)
    desk = ReviewDesk(
        IncidentStore(dynamodb, settings.incidents_table),
        accounts,
        lambda account_id: client_for(policies.policy_for(account_id)),
    )
    return build_console_app(desk, accounts, time_zone(settings.time_zone))
