"""The X stand-in's delivery side: webhooks, Account Activity and X Activity subscriptions, replay.

It behaves as X documents it (docs.x.com: V2 Webhooks API, Account Activity quickstart, X Activity
API) and as the OpenAPI spec's schemas say:

- Registering (`POST /2/webhooks`) or re-validating (`PUT /2/webhooks/{id}`) a webhook makes X's
  CRC call: `GET <url>?crc_token=…&nonce=…`, signed over the raw query string, which must answer
  200 `{"response_token": "sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}` within 3 s
  (X's deadline). Anything else is 400 `CrcValidationFailed`. X wants https without a port; on
  loopback (the local stack) plain http and a port are accepted too.
- Failures are 400 with `{"errors": [{"message": "<Reason>: <details>"}], "title": "Invalid
  Request", …}` as documented (DuplicateUrlFailed, WebhookLimitExceeded, WebhookIdInvalid,
  DuplicateSubscriptionFailed, SubscriptionLimitExceeded, SubscriptionNotFound, QueryParamInvalid);
  a replay while one runs is 409 ReplayConflictError. X does not document its answer to a duplicate
  X Activity subscription: here it is 409 DuplicateSubscriptionFailed.
- Activity (`record_activity`) is delivered at once, signed, to each webhook with a matching
  subscription, or only recorded as attempted (`delivered=False`: a lost delivery). A replay job
  redelivers, in order, every event attempted to that webhook within the window (yyyymmddhhmm, both
  minutes included, no older than 24 h, none in the future), then posts X's `replay_job_status`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

CRC_DEADLINE_SECONDS = 3.0  # X's CRC call carries a ~2.975 s Finagle deadline
REPLAY_MAX_AGE = timedelta(hours=24)
WEBHOOK_LIMIT = 1  # Self-Serve Pro allows one webhook (Enterprise 5+)
AAA_SUBSCRIPTION_LIMIT = 100
XAA_SUBSCRIPTION_LIMIT = 50  # the X Activity API's Basic tier
XAA_EVENT_TYPES = frozenset(
    {"post.create", "post.delete", "post.mention.create", "post.reply.create", "post.quote.create",
     "post.repost.create", "like.create", "follow.follow", "follow.unfollow", "profile.update.bio"}
)  # fmt: skip
_ID = re.compile(r"^[0-9]{1,19}$")
_DATE = re.compile(r"^[0-9]{12}$")
_SIGNATURE_HEADER = "x-twitter-webhooks-signature"

type Answer = tuple[int, dict[str, Any]]


@dataclass
class _Webhook:
    id: str
    url: str
    valid: bool
    created_at: str

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "valid": self.valid, "created_at": self.created_at}


@dataclass
class _XaaSubscription:
    subscription_id: str
    event_type: str
    user_id: str
    webhook_id: str | None
    tag: str | None
    created_at: str

    def view(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "subscription_id": self.subscription_id,
            "event_type": self.event_type,
            "filter": {"user_id": self.user_id},
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }
        if self.webhook_id:
            view["webhook_id"] = self.webhook_id
        if self.tag:
            view["tag"] = self.tag
        return view


@dataclass(frozen=True)
class _Activity:
    at: float
    body: bytes
    webhook_ids: tuple[str, ...]  # the webhooks X attempted to deliver it to


@dataclass
class _State:
    webhooks: dict[str, _Webhook] = field(default_factory=dict)
    aaa: dict[str, set[str]] = field(default_factory=dict)  # webhook id -> subscribed user ids
    xaa: dict[str, _XaaSubscription] = field(default_factory=dict)
    activity: list[_Activity] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    replaying: set[str] = field(default_factory=set)  # webhooks with a replay job running


class XDeliveries:
    """What X keeps about an app's webhooks and subscriptions, and the calls X makes to webhooks.

    Every method returns (status, body) as X would answer; the callers (XStandIn's routes) have
    authenticated the request already. Outgoing calls (CRC, deliveries) run without the lock held.
    """

    def __init__(
        self,
        consumer_secret: str,
        *,
        clock: Callable[[], float],
        webhook_limit: int = WEBHOOK_LIMIT,
        aaa_subscription_limit: int = AAA_SUBSCRIPTION_LIMIT,
        xaa_subscription_limit: int = XAA_SUBSCRIPTION_LIMIT,
    ) -> None:
        self._secret = consumer_secret.encode()
        self._clock = clock
        self._webhook_limit = webhook_limit
        self._aaa_limit = aaa_subscription_limit
        self._xaa_limit = xaa_subscription_limit
        self._lock = threading.RLock()
        self._state = _State()
        self._http = httpx.Client(timeout=httpx.Timeout(CRC_DEADLINE_SECONDS))
        self._jobs: list[threading.Thread] = []

    # --- test side ---

    def record_activity(self, envelope: bytes | Mapping[str, Any], *, delivered: bool = True) -> list[int]:
        """Something happened on X: an AAA or XAA envelope for a subscribed account.

        X attempts it to every webhook whose subscription matches; with `delivered=False` the
        attempt is lost on the way (the webhook never sees it) but X remembers it for a replay.
        Returns the webhooks' answers (HTTP statuses) to the deliveries made now.
        """
        body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
        targets = self._targets(json.loads(body))
        with self._lock:
            self._state.activity.append(_Activity(self._clock(), body, tuple(webhook.id for webhook in targets)))
        if not delivered:
            return []
        return [self._deliver(webhook, body, replay=False) for webhook in targets if webhook.valid]

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Each delivery made to a webhook: {"webhook_id", "status", "replay", "kind"}, in order."""
        with self._lock:
            return [dict(delivery) for delivery in self._state.deliveries]

    def replays_finished(self, timeout: float = 10.0) -> bool:
        for job in list(self._jobs):
            job.join(timeout)
        return not any(job.is_alive() for job in self._jobs)

    def reset(self) -> None:
        self.replays_finished()
        with self._lock:
            self._state = _State()
            self._jobs.clear()

    # --- webhooks ---

    def create_webhook(self, body: Any) -> Answer:
        if not isinstance(body, dict) or not isinstance(body.get("url"), str) or not 1 <= len(body["url"]) <= 200:
            return _invalid("UrlValidationFailed", "url must be a string of 1 to 200 characters")
        url = body["url"]
        if not _acceptable_url(url):
            return _invalid("UrlValidationFailed", "the url must be https, without a port")
        with self._lock:
            if any(webhook.url == url for webhook in self._state.webhooks.values()):
                return _invalid("DuplicateUrlFailed", "a webhook is already registered for this url")
            if len(self._state.webhooks) >= self._webhook_limit:
                return _invalid("WebhookLimitExceeded", f"the app may have {self._webhook_limit} webhook(s)")
        if not self._crc_passes(url):
            return _invalid("CrcValidationFailed", "the webhook did not answer the CRC check correctly")
        webhook = _Webhook(id=_new_id(), url=url, valid=True, created_at=self._timestamp())
        with self._lock:
            self._state.webhooks[webhook.id] = webhook
        return 200, {"data": webhook.view()}

    def list_webhooks(self) -> Answer:
        with self._lock:
            data = [webhook.view() for webhook in self._state.webhooks.values()]
        return 200, {"data": data, "meta": {"result_count": len(data)}}

    def delete_webhook(self, webhook_id: str) -> Answer:
        with self._lock:
            if self._state.webhooks.pop(webhook_id, None) is None:
                return _webhook_id_invalid()
            self._state.aaa.pop(webhook_id, None)
            for sub_id, sub in list(self._state.xaa.items()):
                if sub.webhook_id == webhook_id:
                    del self._state.xaa[sub_id]
        return 200, {"data": {"deleted": True}}

    def validate_webhook(self, webhook_id: str) -> Answer:
        with self._lock:
            webhook = self._state.webhooks.get(webhook_id)
        if webhook is None:
            return _webhook_id_invalid()
        valid = self._crc_passes(webhook.url)
        with self._lock:
            webhook.valid = valid
        if not valid:
            return _invalid("CrcValidationFailed", "the webhook did not answer the CRC check correctly")
        return 200, {"data": {"valid": True}}

    # --- Account Activity API ---

    def aaa_subscribe(self, webhook_id: str, user_id: str) -> Answer:
        with self._lock:
            if webhook_id not in self._state.webhooks:
                return _webhook_id_invalid()
            subscribed = self._state.aaa.setdefault(webhook_id, set())
            if user_id in subscribed:
                return _invalid("DuplicateSubscriptionFailed", f"user {user_id} is already subscribed to this webhook")
            if sum(len(users) for users in self._state.aaa.values()) >= self._aaa_limit:
                return _invalid("SubscriptionLimitExceeded", f"the app may have {self._aaa_limit} subscriptions")
            subscribed.add(user_id)
        return 200, {"data": {"subscribed": True}}

    def aaa_check(self, webhook_id: str, user_id: str) -> Answer:
        with self._lock:
            if webhook_id not in self._state.webhooks:
                return _webhook_id_invalid()
            return 200, {"data": {"subscribed": user_id in self._state.aaa.get(webhook_id, set())}}

    def aaa_list(self, webhook_id: str, application_id: str) -> Answer:
        with self._lock:
            webhook = self._state.webhooks.get(webhook_id)
            if webhook is None:
                return _webhook_id_invalid()
            users = sorted(self._state.aaa.get(webhook_id, set()))
        data = {
            "application_id": application_id,
            "webhook_id": webhook_id,
            "webhook_url": webhook.url,
            "subscriptions": [{"user_id": user} for user in users],
        }
        return 200, {"data": data}

    def aaa_delete(self, webhook_id: str, user_id: str) -> Answer:
        with self._lock:
            if webhook_id not in self._state.webhooks:
                return _webhook_id_invalid()
            subscribed = self._state.aaa.get(webhook_id, set())
            if user_id not in subscribed:
                return _invalid("SubscriptionNotFound", f"user {user_id} has no subscription to this webhook")
            subscribed.discard(user_id)
        return 200, {"data": {"subscribed": False}}

    # --- X Activity API ---

    def xaa_create(self, body: Any) -> Answer:
        problem = _xaa_request_problem(body)
        if problem:
            return 400, _invalid_request(problem)
        event_type, user_id, webhook_id = body["event_type"], body["filter"]["user_id"], body.get("webhook_id")
        with self._lock:
            if webhook_id is not None and webhook_id not in self._state.webhooks:
                return _webhook_id_invalid()
            if any(
                (sub.event_type, sub.user_id, sub.webhook_id) == (event_type, user_id, webhook_id)
                for sub in self._state.xaa.values()
            ):
                return 409, _errors(
                    "DuplicateSubscriptionFailed", f"{event_type} for user {user_id} is already subscribed", "Conflict"
                )
            if len(self._state.xaa) >= self._xaa_limit:
                return _invalid("SubscriptionLimitExceeded", f"the app may have {self._xaa_limit} subscriptions")
            sub = _XaaSubscription(_new_id(), event_type, user_id, webhook_id, body.get("tag"), self._timestamp())
            self._state.xaa[sub.subscription_id] = sub
        return 200, {"data": {"subscription": sub.view()}}

    def xaa_list(self, max_results: str | None, pagination_token: str | None) -> Answer:
        size = int(max_results) if max_results and max_results.isdigit() else 100
        if not 1 <= size <= 1000:
            return 400, _invalid_request("max_results must be between 1 and 1000")
        with self._lock:
            ordered = sorted(self._state.xaa.values(), key=lambda sub: sub.subscription_id)
        start = 0
        if pagination_token:
            start = next((i for i, sub in enumerate(ordered) if _page_token(sub) == pagination_token), -1)
            if start < 0:
                return 400, _invalid_request("pagination_token is not valid")
        page = ordered[start : start + size]
        body: dict[str, Any] = {"data": [sub.view() for sub in page], "meta": {"result_count": len(page)}}
        if start + size < len(ordered):
            body["meta"]["next_token"] = _page_token(ordered[start + size])
        return 200, body

    def xaa_delete(self, subscription_id: str) -> Answer:
        with self._lock:
            if self._state.xaa.pop(subscription_id, None) is None:
                return 404, {
                    "errors": [
                        {
                            "title": "Not Found Error",
                            "detail": f"Could not find subscription with id: [{subscription_id}].",
                            "resource_type": "subscription",
                            "resource_id": subscription_id,
                            "type": "https://api.x.com/2/problems/resource-not-found",
                        }
                    ]
                }
        return 200, {"data": {"deleted": True}}

    # --- replay ---

    def replay(self, body: Any) -> Answer:
        if not isinstance(body, dict) or not all(isinstance(body.get(key), str) for key in ("webhook_id", "from_date")):
            return _invalid("QueryParamInvalid", "webhook_id, from_date and to_date are required")
        if not isinstance(body.get("to_date"), str):
            return _invalid("QueryParamInvalid", "webhook_id, from_date and to_date are required")
        if not (_DATE.fullmatch(body["from_date"]) and _DATE.fullmatch(body["to_date"])):
            return _invalid("QueryParamInvalid", "from_date and to_date must be in yyyymmddhhmm format")
        try:
            start, end = _parse_minute(body["from_date"]), _parse_minute(body["to_date"])
        except ValueError:
            return _invalid("QueryParamInvalid", "from_date or to_date is not a date")
        now = datetime.fromtimestamp(self._clock(), UTC)
        if start < now - REPLAY_MAX_AGE:
            return _invalid("QueryParamInvalid", "from_date is older than 24 hours from the current time")
        if start > now or end > now:
            return _invalid("QueryParamInvalid", "from_date or to_date is in the future")
        if start > end:
            return _invalid("QueryParamInvalid", "from_date is more recent than to_date")
        webhook_id = body["webhook_id"]
        with self._lock:
            webhook = self._state.webhooks.get(webhook_id)
            if webhook is None:
                return _webhook_id_invalid()
            if webhook_id in self._state.replaying:
                return 409, _errors("ReplayConflictError", "a replay job is running for the webhook", "Conflict")
            self._state.replaying.add(webhook_id)
            events = [
                activity.body
                for activity in self._state.activity
                if webhook_id in activity.webhook_ids
                and start.timestamp() <= activity.at < (end + timedelta(minutes=1)).timestamp()
            ]
        job_id = _new_id()
        job = threading.Thread(target=self._run_replay, args=(webhook, job_id, events), daemon=True)
        self._jobs.append(job)
        job.start()
        return 200, {"data": {"job_id": job_id, "created_at": self._timestamp()}}

    # --- calls to webhooks ---

    def _run_replay(self, webhook: _Webhook, job_id: str, events: list[bytes]) -> None:
        try:
            statuses = [self._deliver(webhook, body, replay=True) for body in events]
            complete = all(200 <= status < 300 for status in statuses)
            status_event = {
                "replay_job_status": {
                    "webhook_id": webhook.id,
                    "job_state": "Complete" if complete else "Incomplete",
                    "job_state_description": "Job completed successfully"
                    if complete
                    else "Job failed to deliver all events, please retry your replay job",
                    "job_id": job_id,
                }
            }
            self._deliver(webhook, json.dumps(status_event).encode(), replay=True, kind="replay_job_status")
        finally:
            with self._lock:
                self._state.replaying.discard(webhook.id)

    def _deliver(self, webhook: _Webhook, body: bytes, *, replay: bool, kind: str = "activity") -> int:
        headers = {"Content-Type": "application/json", _SIGNATURE_HEADER: self._sign(body)}
        try:
            status = self._http.post(webhook.url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = 0  # no answer: X counts the delivery as failed
        with self._lock:
            self._state.deliveries.append({"webhook_id": webhook.id, "status": status, "replay": replay, "kind": kind})
        return status

    def _crc_passes(self, url: str) -> bool:
        crc_token = secrets.token_urlsafe(24)
        query = urlencode({"crc_token": crc_token, "nonce": secrets.token_urlsafe(12)})
        separator = "&" if urlsplit(url).query else "?"
        try:
            response = self._http.get(
                f"{url}{separator}{query}", headers={_SIGNATURE_HEADER: self._sign(query.encode())}
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError):
            return False
        expected = self._sign(crc_token.encode())
        token = answer.get("response_token") if isinstance(answer, dict) else None
        return response.status_code == 200 and isinstance(token, str) and hmac.compare_digest(token, expected)

    def _sign(self, message: bytes) -> str:
        # Written here from X's documented formula, apart from the webhook's own implementation.
        return "sha256=" + base64.b64encode(hmac.new(self._secret, message, hashlib.sha256).digest()).decode()

    def _targets(self, envelope: Any) -> list[_Webhook]:
        """The webhooks X sends this envelope to: those with a subscription matching it."""
        with self._lock:
            if isinstance(envelope, dict) and isinstance(envelope.get("for_user_id"), str):
                user = envelope["for_user_id"]
                ids = {webhook_id for webhook_id, users in self._state.aaa.items() if user in users}
            else:
                data = envelope.get("data") if isinstance(envelope, dict) else None
                subscription_filter = data.get("filter") if isinstance(data, dict) else None
                if not isinstance(data, dict) or not isinstance(subscription_filter, dict):
                    raise ValueError("activity must be an AAA (for_user_id) or XAA (data.filter) envelope")
                ids = {
                    sub.webhook_id
                    for sub in self._state.xaa.values()
                    if sub.webhook_id
                    and sub.event_type == data.get("event_type")
                    and sub.user_id == subscription_filter.get("user_id")
                }
            webhooks = self._state.webhooks
            return [webhooks[webhook_id] for webhook_id in sorted(ids) if webhook_id in webhooks]

    def _timestamp(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _acceptable_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and parts.port is None:
        return True
    try:
        loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        loopback = False
    return parts.scheme in {"http", "https"} and loopback


def _xaa_request_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or set(body) - {"event_type", "filter", "tag", "webhook_id"}:
        return "the body must hold event_type, filter and optionally tag and webhook_id, nothing else"
    if body.get("event_type") not in XAA_EVENT_TYPES:
        return f"event_type {str(body.get('event_type'))[:40]!r} is not a supported event type"
    subscription_filter = body.get("filter")
    if not isinstance(subscription_filter, dict) or set(subscription_filter) - {"user_id", "keyword", "direction"}:
        return "filter must be an object with user_id"
    if not isinstance(subscription_filter.get("user_id"), str) or not _ID.fullmatch(subscription_filter["user_id"]):
        return "filter.user_id must be a numeric user id"
    webhook_id = body.get("webhook_id")
    if webhook_id is not None and (not isinstance(webhook_id, str) or not _ID.fullmatch(webhook_id)):
        return "webhook_id must be a numeric id"
    tag = body.get("tag")
    if tag is not None and (not isinstance(tag, str) or not 1 <= len(tag) <= 200):
        return "tag must be 1 to 200 characters"
    return None


def _parse_minute(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=UTC)


def _page_token(sub: _XaaSubscription) -> str:
    # X's tokens are base32hex, at least 16 characters.
    return base64.b32hexencode(sub.subscription_id.encode()).decode().rstrip("=")


def _new_id() -> str:
    return str(secrets.randbelow(9 * 10**18) + 10**18)  # 19 digits, like X's snowflake ids


def _errors(reason: str, detail: str, title: str) -> dict[str, Any]:
    return {
        "errors": [{"message": f"{reason}: {detail}"}],
        "title": title,
        "detail": "One or more parameters to your request was invalid." if title == "Invalid Request" else detail,
        "type": "https://api.x.com/2/problems/invalid-request" if title == "Invalid Request" else "about:blank",
    }


def _invalid(reason: str, detail: str) -> Answer:
    return 400, _errors(reason, detail, "Invalid Request")


def _webhook_id_invalid() -> Answer:
    return _invalid("WebhookIdInvalid", "the webhook_id was not found or is not associated with this app")


def _invalid_request(message: str) -> dict[str, Any]:
    return {
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.x.com/2/problems/invalid-request",
    }
