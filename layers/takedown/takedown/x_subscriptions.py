"""Getting X's deliveries: the webhook registered with X, each account subscribed, and replays.

X delivers a subscribed account's activity to a webhook the app registered (the v2 Webhooks API),
through one of two products, and Takedown supports both:

- the Account Activity API (`aaa`): one subscription per account and webhook, created with that
  ACCOUNT's own OAuth 1.0a tokens (X subscribes "the authenticating user"); listed and removed with
  the app's bearer token;
- the X Activity API (`xaa`): one subscription per event type and account (`filter.user_id`),
  created, listed and removed with the app's bearer token. Takedown needs the reposts and quotes.

`replay` asks X to deliver again every event of a webhook's window (at most 24 hours back, to the
minute); the window is checked here before X is called. Every failure becomes one of the
`XApiError` subclasses of `takedown.x_api` or below, whose message is one line fit for an operator.

    admin = XSubscriptions(httpx.Client(), app_bearer_token, base_url="https://api.x.com")
    webhook = admin.register_webhook("https://abc.execute-api.eu-west-2.amazonaws.com/webhooks/x")
    admin.subscribe("aaa", webhook.id, account_id, account_credentials)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from takedown.clock import Clock, utc_now
from takedown.endpoint_url import require_https_or_loopback
from takedown.settings import X_API_BASE_URL
from takedown.x_api import (
    DEFAULT_RATE_LIMIT_WAIT,
    BearerAuth,
    RateLimit,
    XApiError,
    XAuthError,
    XCredentials,
    XCreditsError,
    XRateLimitedError,
    XRequestRejectedError,
    XUnavailableError,
    XUnexpectedResponseError,
)

type ActivityApi = Literal["aaa", "xaa"]
ACTIVITY_APIS: tuple[ActivityApi, ...] = ("aaa", "xaa")

# What Takedown acts on, as X Activity API event types: the account's reposts and its quotes.
XAA_EVENT_TYPES: tuple[str, ...] = ("post.repost.create", "post.quote.create")
XAA_TAG = "takedown"

# X replays a webhook's events for the last 24 hours only, at minute granularity (yyyymmddhhmm).
REPLAY_MAX_AGE = timedelta(hours=24)
REPLAY_TIME_FORMAT = "%Y%m%d%H%M"

# Registering waits for X's CRC call to our webhook, which X allows about 3 s: longer than a write.
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=3.0)
XAA_PAGE_SIZE = 1000  # the most X returns per page
_MAX_PAGES = 100
_ID = re.compile(r"^[0-9]{1,19}$")
_REASON = re.compile(r"^([A-Z][A-Za-z]+):")  # X's "<Reason>: <details>" in errors[].message
_MAX_MESSAGE_CHARS = 240


class XNotFoundError(XRequestRejectedError):
    """X does not know the webhook, subscription or account named (404, WebhookIdInvalid,
    SubscriptionNotFound)."""


class XConflictError(XRequestRejectedError):
    """409 or ReplayConflictError: X is busy with the same thing (a replay job still running)."""


class XDuplicateError(XConflictError):
    """Already there: the webhook URL is registered, or the account is already subscribed."""


class XLimitExceededError(XRequestRejectedError):
    """The app has as many webhooks or subscriptions as its X tier allows."""


class XCrcFailedError(XRequestRejectedError):
    """X called the webhook's CRC check and the answer was wrong, late or missing."""


class ReplayWindowError(ValueError):
    """A replay window X would refuse (older than 24 hours, in the future, or backwards).
    Raised before X is called."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """A webhook configuration of the app on X; `valid` is False once a CRC check failed."""

    id: str
    url: str
    valid: bool
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """An account's subscription: `aaa` (all its activity to one webhook) or one `xaa` event type."""

    api: ActivityApi
    account_id: str
    webhook_id: str | None
    event_type: str = "all"  # the Account Activity API subscribes to everything at once
    subscription_id: str | None = None  # X Activity API subscriptions have their own id
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class ReplayWindow:
    """Minutes to replay, both ends included, in UTC, checked against X's 24-hour limit."""

    start: datetime
    end: datetime

    @classmethod
    def checked(cls, start: datetime, end: datetime, now: datetime) -> ReplayWindow:
        """The window X would accept, to the minute, or ReplayWindowError saying why not.

        >>> now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
        >>> ReplayWindow.checked(now - timedelta(hours=2), now, now).from_date
        '202612011000'
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ReplayWindowError("give replay times with a time zone (e.g. 2026-12-01T10:00Z)")
        start, end = _minute(start), _minute(end)
        oldest = now - REPLAY_MAX_AGE
        if start < oldest:
            raise ReplayWindowError(
                f"the replay start {_readable(start)} is more than 24 hours ago: X replays only since "
                f"{_readable(_ceil(oldest))}"
            )
        if end > now:
            raise ReplayWindowError(f"the replay end {_readable(end)} is in the future (now {_readable(now)})")
        if start > end:
            raise ReplayWindowError(f"the replay start {_readable(start)} is after its end {_readable(end)}")
        return cls(start, end)

    @property
    def from_date(self) -> str:
        return self.start.astimezone(UTC).strftime(REPLAY_TIME_FORMAT)

    @property
    def to_date(self) -> str:
        return self.end.astimezone(UTC).strftime(REPLAY_TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class ReplayJob:
    """X accepted the replay: it redelivers the window's events to the webhook, then says so."""

    job_id: str
    created_at: str
    window: ReplayWindow


class XSubscriptions:
    """The app's side of X's deliveries: webhooks, subscriptions and replays.

    App-level calls are signed with the app's bearer token (OAuth 2.0 App Only); an Account Activity
    subscription is created and checked with the account's own credentials, which X requires.
    The httpx.Client is passed in and the base URL is configurable (a stand-in locally).
    """

    def __init__(
        self,
        http: httpx.Client,
        app_bearer_token: SecretStr,
        *,
        base_url: str = X_API_BASE_URL,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Clock = utc_now,
        page_size: int = XAA_PAGE_SIZE,
    ) -> None:
        if not app_bearer_token.get_secret_value().strip():
            raise ValueError("the app's bearer token is empty")
        self._http = http
        self._app_auth = BearerAuth(app_bearer_token)
        self._base_url = str(require_https_or_loopback(base_url, name="X API base URL")).rstrip("/")
        self._timeout = timeout
        self._clock = clock
        self._page_size = page_size

    def __repr__(self) -> str:
        return f"XSubscriptions(base_url={self._base_url!r})"

    # --- webhooks ---

    def register_webhook(self, url: str) -> Webhook:
        """Register `url` with X; X calls its CRC check before it answers (XCrcFailedError if wrong)."""
        data = self._data("register the webhook", "POST", "/2/webhooks", json={"url": url})
        return _webhook(data, "register the webhook")

    def list_webhooks(self) -> list[Webhook]:
        body = self._body("list the webhooks", "GET", "/2/webhooks")
        data = body.get("data") or []
        if not isinstance(data, list):
            raise XUnexpectedResponseError("list the webhooks: X's answer has no list of webhooks")
        return [_webhook(item, "list the webhooks") for item in data]

    def delete_webhook(self, webhook_id: str) -> None:
        """Remove the webhook; X stops delivering to it (its subscriptions go with it)."""
        action = f"delete webhook {webhook_id}"
        data = self._data(action, "DELETE", f"/2/webhooks/{_id(webhook_id, 'webhook id')}")
        _expect(data, "deleted", True, action)

    def validate_webhook(self, webhook_id: str) -> bool:
        """Ask X to run the CRC check again (it re-enables a webhook marked invalid): X's `valid`."""
        action = f"re-validate webhook {webhook_id}"
        data = self._data(action, "PUT", f"/2/webhooks/{_id(webhook_id, 'webhook id')}")
        valid = data.get("valid")
        if not isinstance(valid, bool):
            raise XUnexpectedResponseError(f"{action}: X's answer does not say whether it is valid")
        return valid

    def sole_webhook_id(self) -> str:
        """The app's webhook when it has exactly one (the usual case), else a clear error."""
        webhooks = self.list_webhooks()
        if len(webhooks) == 1:
            return webhooks[0].id
        if not webhooks:
            raise XNotFoundError("no webhook is registered with X: run `takedown webhook register URL` first")
        ids = ", ".join(webhook.id for webhook in webhooks)
        raise XRequestRejectedError(f"the app has {len(webhooks)} webhooks ({ids}): name one with --webhook-id")

    # --- subscriptions ---

    def subscribe(
        self,
        api: ActivityApi,
        webhook_id: str,
        account_id: str,
        account_credentials: XCredentials | None = None,
        *,
        event_types: tuple[str, ...] = XAA_EVENT_TYPES,
    ) -> list[Subscription]:
        """Subscribe the account to the webhook; what was created. XDuplicateError if all existed."""
        _id(webhook_id, "webhook id")
        _id(account_id, "account id")
        if api == "aaa":
            if account_credentials is None:
                raise ValueError("an Account Activity subscription needs the account's own credentials")
            action = f"subscribe account {account_id} (Account Activity)"
            path = f"/2/account_activity/webhooks/{webhook_id}/subscriptions/all"
            data = self._data(action, "POST", path, json={}, auth=account_credentials.http_auth())
            _expect(data, "subscribed", True, action)
            return [Subscription(api="aaa", account_id=account_id, webhook_id=webhook_id)]
        existing = {
            sub.event_type
            for sub in self.subscriptions("xaa", webhook_id)
            if sub.account_id == account_id and sub.webhook_id == webhook_id
        }
        missing = [event_type for event_type in event_types if event_type not in existing]
        if not missing:
            raise XDuplicateError(
                f"account {account_id} is already subscribed to webhook {webhook_id} (X Activity: "
                f"{', '.join(event_types)})"
            )
        return [self._create_xaa(webhook_id, account_id, event_type) for event_type in missing]

    def is_subscribed(self, webhook_id: str, account_id: str, account_credentials: XCredentials) -> bool:
        """Account Activity: whether the account (as its own credentials) is subscribed to the webhook."""
        action = f"check account {account_id}'s subscription"
        path = f"/2/account_activity/webhooks/{_id(webhook_id, 'webhook id')}/subscriptions/all"
        data = self._data(action, "GET", path, auth=account_credentials.http_auth())
        subscribed = data.get("subscribed")
        if not isinstance(subscribed, bool):
            raise XUnexpectedResponseError(f"{action}: X's answer does not say whether it is subscribed")
        return subscribed

    def subscriptions(self, api: ActivityApi, webhook_id: str | None = None) -> list[Subscription]:
        """The subscriptions X holds: `aaa` of one webhook, `xaa` of the app (of one webhook if named)."""
        if api == "aaa":
            if webhook_id is None:
                raise ValueError("Account Activity subscriptions are listed per webhook")
            action = f"list webhook {webhook_id}'s Account Activity subscriptions"
            path = f"/2/account_activity/webhooks/{_id(webhook_id, 'webhook id')}/subscriptions/all/list"
            listed = self._data(action, "GET", path).get("subscriptions") or []
            if not isinstance(listed, list):
                raise XUnexpectedResponseError(f"{action}: X's answer has no list of subscriptions")
            return [
                Subscription(api="aaa", account_id=str(item["user_id"]), webhook_id=webhook_id)
                for item in listed
                if isinstance(item, dict) and "user_id" in item
            ]
        found = [_xaa_subscription(item) for item in self._xaa_pages()]
        return [sub for sub in found if webhook_id is None or sub.webhook_id == webhook_id]

    def unsubscribe(self, api: ActivityApi, webhook_id: str, account_id: str) -> list[Subscription]:
        """Stop the account's deliveries to the webhook; what was removed. XNotFoundError if none."""
        _id(webhook_id, "webhook id")
        _id(account_id, "account id")
        if api == "aaa":
            action = f"unsubscribe account {account_id} (Account Activity)"
            path = f"/2/account_activity/webhooks/{webhook_id}/subscriptions/{account_id}/all"
            _expect(self._data(action, "DELETE", path), "subscribed", False, action)
            return [Subscription(api="aaa", account_id=account_id, webhook_id=webhook_id)]
        mine = [sub for sub in self.subscriptions("xaa", webhook_id) if sub.account_id == account_id]
        if not mine:
            raise XNotFoundError(f"account {account_id} has no X Activity subscription to webhook {webhook_id}")
        for sub in mine:
            action = f"delete X Activity subscription {sub.subscription_id} ({sub.event_type})"
            data = self._data(action, "DELETE", f"/2/activity/subscriptions/{_id(str(sub.subscription_id), 'id')}")
            _expect(data, "deleted", True, action)
        return mine

    # --- replay ---

    def replay(self, webhook_id: str, start: datetime, end: datetime) -> ReplayJob:
        """Ask X to deliver the window's events to the webhook again (checked first: ReplayWindowError)."""
        window = ReplayWindow.checked(start, end, self._clock())
        action = f"replay {window.from_date}-{window.to_date} to webhook {webhook_id}"
        body = {"webhook_id": _id(webhook_id, "webhook id"), "from_date": window.from_date, "to_date": window.to_date}
        data = self._data(action, "POST", "/2/webhooks/replay", json=body)
        job_id, created_at = data.get("job_id"), data.get("created_at")
        if not isinstance(job_id, str) or not isinstance(created_at, str):
            raise XUnexpectedResponseError(f"{action}: X's answer has no replay job")
        return ReplayJob(job_id=job_id, created_at=created_at, window=window)

    # --- HTTP ---

    def _create_xaa(self, webhook_id: str, account_id: str, event_type: str) -> Subscription:
        action = f"subscribe account {account_id} to {event_type} (X Activity)"
        body = {"event_type": event_type, "filter": {"user_id": account_id}, "webhook_id": webhook_id, "tag": XAA_TAG}
        created = self._data(action, "POST", "/2/activity/subscriptions", json=body).get("subscription")
        if not isinstance(created, dict):
            raise XUnexpectedResponseError(f"{action}: X's answer has no subscription")
        return _xaa_subscription(created)

    def _xaa_pages(self) -> Iterator[dict[str, Any]]:
        params: dict[str, str | int] = {"max_results": self._page_size}
        for _ in range(_MAX_PAGES):
            body = self._body("list the X Activity subscriptions", "GET", "/2/activity/subscriptions", params=params)
            for item in body.get("data") or []:
                if isinstance(item, dict):
                    yield item
            meta = body.get("meta")
            next_token = meta.get("next_token") if isinstance(meta, dict) else None
            if not isinstance(next_token, str) or not next_token:
                return
            params = {"max_results": self._page_size, "pagination_token": next_token}
        raise XUnexpectedResponseError(f"list the X Activity subscriptions: more than {_MAX_PAGES} pages")

    def _data(self, action: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = self._body(action, method, path, **kwargs).get("data")
        if not isinstance(data, dict):
            raise XUnexpectedResponseError(f"{action}: X answered without data")
        return data

    def _body(
        self,
        action: str,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
        auth: httpx.Auth | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._http.request(
                method,
                self._base_url + path,
                json=json,
                params=params,
                headers={"Accept": "application/json"},
                auth=auth or self._app_auth,
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise XUnavailableError(f"{action}: X did not answer ({type(exc).__name__})") from exc
        credential = "the app's bearer token (<stack>/x-app)" if auth is None else "the account's tokens"
        return checked_body(response, action=action, now=self._clock(), credential=credential)


def checked_body(response: httpx.Response, *, action: str, now: datetime, credential: str) -> dict[str, Any]:
    """X's JSON answer when it is a success, else the XApiError it means. Pure: no I/O.

    X says why in a status, a problem `type`, and (on these endpoints) a reason at the start of
    `errors[].message` ("DuplicateUrlFailed: ..."); the error's class comes from all three.
    `credential` names what signed the request, for a 401's message.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    status = response.status_code
    if 200 <= status < 300 and ("data" in body or not body.get("errors")):
        return body
    error = _error(status, body, response.headers, f"{action}: X answered {status}", now, credential)
    error.rate_limit = RateLimit.from_headers(response.headers)
    raise error


def _error(
    status: int, body: dict[str, Any], headers: httpx.Headers, where: str, now: datetime, credential: str
) -> XApiError:
    problems = _problems(body)
    reasons = {reason for problem in problems if (reason := _reason(problem))}
    said = _said(body, problems)
    if status == 401:
        return XAuthError(f"{where} (not authenticated{_kind(problems)}): check {credential}{said}", status=status)
    if status == 403:
        return XAuthError(f"{where} (not permitted{_kind(problems)}){said}", status=status)
    if status == 402:
        return XCreditsError(f"{where} (the app has no X API credits left: top them up){said}", status=status)
    if status == 429:
        limit = RateLimit.from_headers(headers)
        reset_at = limit.reset_at if limit else now + DEFAULT_RATE_LIMIT_WAIT
        return XRateLimitedError(
            f"{where} (rate limited): try again after {reset_at.strftime('%H:%M:%S')} UTC",
            reset_at=reset_at,
            retry_after_seconds=max(1.0, (reset_at - now).total_seconds()),
        )
    if status >= 500:
        return XUnavailableError(f"{where} (X is failing){said}", status=status)
    if 200 <= status < 300:
        return XUnexpectedResponseError(f"{where} with errors only{said}", status=status)
    if "CrcValidationFailed" in reasons:
        return XCrcFailedError(
            f"{where}: the webhook did not answer X's CRC check correctly (is it deployed, and does "
            f"<stack>/x-consumer hold the app's consumer secret?){said}",
            status=status,
        )
    if reasons & {"DuplicateUrlFailed", "DuplicateSubscriptionFailed"} or (status == 409 and not reasons):
        return XDuplicateError(f"{where} (already there){said}", status=status)
    if reasons & {"WebhookLimitExceeded", "SubscriptionLimitExceeded"}:
        return XLimitExceededError(f"{where} (the app's X tier allows no more){said}", status=status)
    if reasons & {"WebhookIdInvalid", "SubscriptionNotFound"} or status == 404:
        return XNotFoundError(f"{where} (not found){said}", status=status)
    if "ReplayConflictError" in reasons or status == 409:
        return XConflictError(f"{where} (a replay job is still running for this webhook){said}", status=status)
    return XRequestRejectedError(f"{where} (refused){said}", status=status)


def _problems(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every problem X listed: its `errors`, and the body itself when it is a problem."""
    problems = [error for error in body.get("errors") or [] if isinstance(error, dict)]
    if "type" in body or "title" in body:
        problems.append(body)
    return problems


def _reason(problem: dict[str, Any]) -> str | None:
    if isinstance(problem.get("reason"), str):
        return str(problem["reason"])
    match = _REASON.match(str(problem.get("message", "")))
    return match.group(1) if match else None


def _kind(problems: list[dict[str, Any]]) -> str:
    """X's problem type, by its last word (`client-forbidden`, `unsupported-authentication`)."""
    for problem in problems:
        kind = str(problem.get("type", ""))
        if "/problems/" in kind:
            return f": {kind.rsplit('/', 1)[-1]}"
    return ""


def _said(body: dict[str, Any], problems: list[dict[str, Any]]) -> str:
    """What X said, on one line and short: the first error's message, else the problem's words."""
    words = [str(problem["message"]) for problem in problems if problem.get("message")]
    if not words:
        words = [str(part) for part in (body.get("title"), body.get("detail"), body.get("reason")) if part]
    text = " ".join(" - ".join(words[:2]).split())
    return f" - X says: {text[:_MAX_MESSAGE_CHARS]}" if text else ""


def _webhook(data: Any, action: str) -> Webhook:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("url"), str):
        raise XUnexpectedResponseError(f"{action}: X's answer is not a webhook")
    return Webhook(
        id=data["id"], url=data["url"], valid=data.get("valid") is True, created_at=data.get("created_at") or None
    )


def _xaa_subscription(item: dict[str, Any]) -> Subscription:
    given = item.get("filter")
    subscription_filter: dict[str, Any] = given if isinstance(given, dict) else {}
    return Subscription(
        api="xaa",
        account_id=str(subscription_filter.get("user_id", "")),
        webhook_id=item.get("webhook_id") or None,
        event_type=str(item.get("event_type", "")),
        subscription_id=str(item.get("subscription_id", "")) or None,
        tag=item.get("tag") or None,
    )


def _expect(data: dict[str, Any], key: str, expected: bool, action: str) -> None:
    if data.get(key) is not expected:
        raise XUnexpectedResponseError(f"{action}: X answered data.{key} = {data.get(key)!r}")


def _id(value: str, name: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"{name} must be a numeric X id, got {value[:40]!r}")
    return value


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _ceil(moment: datetime) -> datetime:
    floor = _minute(moment)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _readable(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
