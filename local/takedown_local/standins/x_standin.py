"""A local X API for the three write endpoints Takedown uses, strict where X is strict.

- Every request must carry a valid OAuth 1.0a HMAC-SHA1 signature, checked with oauthlib (an
  implementation independent of the authlib that signs our requests), or `Bearer <token>` for a
  configured OAuth 2.0 user token. Otherwise 401 with X's error body.
- The {id} in /2/users/{id}/... must be the token's own user (403 otherwise); access tokens look
  like X's, "<user id>-<random>".
- State: which posts each user has retweeted, which posts exist and who wrote them, which were
  deleted. Unretweet is idempotent like X's (`{"data": {"retweeted": false}}`); deleting an unknown
  or deleted post is 404 with X's "Not Found Error" problem.
- x-rate-limit-limit/remaining/reset on every answer: 50 requests per 15 minutes per user and
  endpoint, enforced with 429 (`rate_window_seconds` shortens the window for tests).
- Faults on demand: `fail_next(status=429, reset_in=2)`, `fail_next(status=503, times=3)`,
  `delay_next(seconds)` (for client timeouts; the request is still carried out afterwards, as on X).
- Every request is recorded as {"method", "path", "status", "at"}: `calls`, and GET /_standin/calls.
- The delivery side (x_deliveries.py): webhooks with X's CRC call-back, Account Activity and X
  Activity subscriptions, and replay, answered with the app's bearer token (`app_bearer_token`);
  an Account Activity subscription is made with the account's own OAuth 1.0a tokens, as on X.
- The timelines (x_timeline.py): `GET /2/users/{id}/tweets` over the posts seeded with `publish`,
  readable by any authenticated user, 900 requests per 15 minutes per reader (X's read limit);
  `fail_next(500, after=1)` fails the second page of a sweep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, override

from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint
from oauthlib.oauth1.rfc5849 import SIGNATURE_HMAC_SHA1
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from takedown_local.standins.server import FaultScript, LoopbackServer, json_response
from takedown_local.standins.x_deliveries import XDeliveries
from takedown_local.standins.x_timeline import XTimelines

RATE_LIMIT = 50  # X: unretweet, retweet and delete post all allow 50 requests / 15 min per user
RATE_WINDOW_SECONDS = 15 * 60
READ_RATE_LIMIT = 900  # X: GET /2/users/{id}/tweets allows 900 requests / 15 min per user
CALLS_PATH = "/_standin/calls"

_ROUTES = Map(
    [
        Rule("/2/users/<user_id>/retweets/<post_id>", methods=["DELETE"], endpoint="unretweet"),
        Rule("/2/users/<user_id>/retweets", methods=["POST"], endpoint="retweet"),
        Rule("/2/tweets/<post_id>", methods=["DELETE"], endpoint="delete_post"),
        Rule("/2/users/<user_id>/tweets", methods=["GET"], endpoint="user_posts"),
        Rule("/2/webhooks", methods=["POST"], endpoint="webhooks.create"),
        Rule("/2/webhooks", methods=["GET"], endpoint="webhooks.list"),
        Rule("/2/webhooks/replay", methods=["POST"], endpoint="webhooks.replay"),
        Rule("/2/webhooks/<webhook_id>", methods=["DELETE"], endpoint="webhooks.delete"),
        Rule("/2/webhooks/<webhook_id>", methods=["PUT"], endpoint="webhooks.validate"),
        Rule("/2/account_activity/webhooks/<webhook_id>/subscriptions/all", methods=["POST"], endpoint="aaa.subscribe"),
        Rule("/2/account_activity/webhooks/<webhook_id>/subscriptions/all", methods=["GET"], endpoint="aaa.check"),
        Rule("/2/account_activity/webhooks/<webhook_id>/subscriptions/all/list", methods=["GET"], endpoint="aaa.list"),
        Rule(
            "/2/account_activity/webhooks/<webhook_id>/subscriptions/<user_id>/all",
            methods=["DELETE"],
            endpoint="aaa.delete",
        ),
        Rule("/2/activity/subscriptions", methods=["POST"], endpoint="xaa.create"),
        Rule("/2/activity/subscriptions", methods=["GET"], endpoint="xaa.list"),
        Rule("/2/activity/subscriptions/<subscription_id>", methods=["DELETE"], endpoint="xaa.delete"),
    ]
)
# Who may call each delivery endpoint, as the OpenAPI spec's `security` says: the app's bearer
# token ("app"), an account's user context ("user"), or either.
_DELIVERY_AUTH = {
    "webhooks.create": {"app", "user"},
    "webhooks.list": {"app"},
    "webhooks.replay": {"app"},
    "webhooks.delete": {"app", "user"},
    "webhooks.validate": {"app", "user"},
    "aaa.subscribe": {"user"},
    "aaa.check": {"user"},
    "aaa.list": {"app"},
    "aaa.delete": {"app"},
    "xaa.create": {"app", "user"},
    "xaa.list": {"app", "user"},
    "xaa.delete": {"app"},
}
APPLICATION_ID = "29000000"  # the app's numeric id, as X shows it in subscription lists
_NUMERIC_ID = re.compile(r"^[0-9]{1,19}$")


@dataclass(frozen=True)
class _Fault:
    status: int | None  # None: answer normally, after the delay
    delay_seconds: float
    reset_in: float


@dataclass
class _RateWindow:
    started: float
    used: int = 0


class _OAuth1Validator(RequestValidator):
    """What oauthlib needs to check a signature: our consumer, our tokens, and nonce replay."""

    def __init__(self, consumer_key: str, consumer_secret: str, tokens: Mapping[str, str]) -> None:
        super().__init__()
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self._tokens = dict(tokens)
        # Unknown keys and tokens are checked against a random secret, so they can never verify.
        self._unguessable = secrets.token_urlsafe(32)
        self._seen_nonces: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    @override
    @property
    def enforce_ssl(self) -> bool:
        return False  # the stand-in serves plain http on loopback

    @override
    @property
    def allowed_signature_methods(self) -> tuple[str, ...]:
        return (SIGNATURE_HMAC_SHA1,)  # what X supports

    @override
    @property
    def client_key_length(self) -> tuple[int, int]:
        return 8, 64

    @override
    @property
    def dummy_client(self) -> str:
        return "unknownconsumerkey"

    @override
    @property
    def dummy_access_token(self) -> str:
        return "0-unknown-access-token"

    @override
    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return hmac.compare_digest(client_key.encode(), self._consumer_key.encode())

    @override
    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self._consumer_secret if client_key == self._consumer_key else self._unguessable

    @override
    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self._tokens.get(token, self._unguessable)

    @override
    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        key = (client_key, timestamp, nonce)
        with self._lock:
            if key in self._seen_nonces:
                return False
            self._seen_nonces.add(key)
            return True

    def forget_token(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def forget_nonces(self) -> None:
        with self._lock:
            self._seen_nonces.clear()


class XStandIn(LoopbackServer):
    """The X API v2 write endpoints Takedown calls, on loopback.

    `tokens` maps each OAuth 1.0a access token ("<user id>-<random>") to its secret;
    `bearer_tokens` maps OAuth 2.0 user tokens to their user id.
    """

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        tokens: Mapping[str, str] | None = None,
        *,
        bearer_tokens: Mapping[str, str] | None = None,
        port: int = 0,
        clock: Callable[[], float] = time.time,
        rate_limit: int = RATE_LIMIT,
        rate_window_seconds: float = RATE_WINDOW_SECONDS,
        app_bearer_token: str | None = None,
    ) -> None:
        super().__init__(port)
        self._rate_limit = rate_limit  # X's own by default; benchmarks raise it to measure the pipeline
        self._rate_window = rate_window_seconds
        self._tokens = dict(tokens or {})
        for token in self._tokens:
            if not _NUMERIC_ID.fullmatch(token.split("-", 1)[0]):
                raise ValueError("access tokens look like X's: '<numeric user id>-<random>'")
        self._bearer_tokens = dict(bearer_tokens or {})
        self._clock = clock
        self._validator = _OAuth1Validator(consumer_key, consumer_secret, self._tokens)
        self._signatures = SignatureOnlyEndpoint(self._validator)
        self._calls: list[dict[str, Any]] = []
        self._faults: FaultScript[_Fault] = FaultScript()
        self._retweets: dict[str, set[str]] = {}
        self._authors: dict[str, str] = {}
        self._deleted: set[str] = set()
        self._windows: dict[tuple[str, str], _RateWindow] = {}
        self.timelines = XTimelines()
        self._app_bearer_token = app_bearer_token
        self.deliveries = XDeliveries(consumer_secret, clock=clock)

    # --- seeding, faults and inspection (test side) ---

    def seed_retweet(self, user_id: str, post_id: str) -> None:
        """Make `user_id` a retweeter of `post_id` (the original post), as if it had retweeted it."""
        with self._lock:
            self._retweets.setdefault(user_id, set()).add(post_id)

    def seed_post(self, author_id: str, post_id: str) -> None:
        """Make `post_id` an existing post written by `author_id` (e.g. a quote post to delete)."""
        with self._lock:
            self._authors[post_id] = author_id
            self._deleted.discard(post_id)

    def publish(
        self,
        post: Mapping[str, Any],
        referenced: Sequence[Mapping[str, Any]] = (),
        users: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Make `post` (a complete v2 post) one of its author's posts on X, with the posts it references
        and their authors' profiles: `GET /2/users/{id}/tweets` lists it; a retweet is one its author
        has retweeted (undoing it removes the post, as on X), a quote one its author may delete."""
        with self._lock:
            self.timelines.publish(post, referenced, users)
            author, post_id = str(post["author_id"]), str(post["id"])
            for reference in post.get("referenced_tweets") or []:
                if reference.get("type") == "retweeted":
                    self._retweets.setdefault(author, set()).add(str(reference["id"]))
            self._authors[post_id] = author
            self._deleted.discard(post_id)

    def revoke(self, access_token: str) -> None:
        """The user revoked the app: X answers 401 to that token from now on."""
        with self._lock:
            self._tokens.pop(access_token, None)
            self._validator.forget_token(access_token)

    def retweeted_by(self, user_id: str) -> frozenset[str]:
        with self._lock:
            return frozenset(self._retweets.get(user_id, ()))

    def is_deleted(self, post_id: str) -> bool:
        with self._lock:
            return post_id in self._deleted

    def fail_next(
        self, status: int = 500, *, times: int = 1, reset_in: float = RATE_WINDOW_SECONDS, after: int = 0
    ) -> None:
        """Answer `times` API requests with `status` instead (a 429 says reset in `reset_in` s), after
        answering the next `after` normally (`after=1`: the second page of a timeline fails)."""
        with self._lock:
            if after:
                self._faults.add(_Fault(status=None, delay_seconds=0.0, reset_in=0.0), after)
            self._faults.add(_Fault(status=status, delay_seconds=0.0, reset_in=reset_in), times)

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` API requests for `seconds` before answering them normally."""
        with self._lock:
            self._faults.add(_Fault(status=None, delay_seconds=seconds, reset_in=0.0), times)

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every API request so far, in arrival order: {"method", "path", "status", "at"}."""
        with self._lock:
            return [dict(call) for call in self._calls]

    def reset(self) -> None:
        """Forget all state, recorded calls, pending faults, rate windows and seen nonces."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._retweets.clear()
            self._authors.clear()
            self._deleted.clear()
            self._windows.clear()
            self.timelines.reset()
        self._validator.forget_nonces()
        self.deliveries.reset()

    # --- serving ---

    def handle(self, request: Request) -> Response:
        if request.path == CALLS_PATH and request.method == "GET":
            return json_response(200, self.calls)
        call: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "status": None,
            "at": datetime.fromtimestamp(self._clock(), UTC).isoformat(),
        }
        with self._lock:
            self._calls.append(call)
            fault = self._faults.take()
        if fault is not None and fault.delay_seconds:
            time.sleep(fault.delay_seconds)
        if fault is not None and fault.status is not None:
            response = self._fault_response(fault.status, fault.reset_in)
        else:
            response = self._serve(request)
        with self._lock:
            call["status"] = response.status_code
        return response

    def _fault_response(self, status: int, reset_in: float) -> Response:
        headers = _rate_headers(self._rate_limit, 0, self._clock() + reset_in) if status == 429 else {}
        return json_response(status, _problem(status), headers)

    def _serve(self, request: Request) -> Response:
        try:
            endpoint, args = _ROUTES.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            return json_response(exc.code or 404, _problem(exc.code or 404))
        if endpoint in _DELIVERY_AUTH:
            return self._serve_deliveries(endpoint, args, request)
        user_id = self._authenticate(request)
        if user_id is None:
            return json_response(401, _problem(401))
        for name, value in args.items():
            if not _NUMERIC_ID.fullmatch(value):
                return json_response(400, _invalid_request(name, value))
        if endpoint == "user_posts":  # anyone signed in may read a user's posts
            return self._user_posts(user_id, args["user_id"], request)
        if args.get("user_id", user_id) != user_id:
            return json_response(
                403,
                {
                    "title": "Forbidden",
                    "type": "about:blank",
                    "status": 403,
                    "detail": "You are not permitted to perform this action on behalf of another user.",
                },
            )
        with self._lock:
            limits = self._count_request(user_id, endpoint)
            if limits is None:
                headers = _rate_headers(
                    self._rate_limit, 0, self._windows[(user_id, endpoint)].started + self._rate_window
                )
                return json_response(429, _problem(429), headers)
            if endpoint == "unretweet":
                self._retweets.get(user_id, set()).discard(args["post_id"])
                self.timelines.unretweet(user_id, args["post_id"])
                return json_response(200, {"data": {"retweeted": False}}, limits)
            if endpoint == "delete_post":
                return self._delete_post(user_id, args["post_id"], limits)
        return self._retweet(user_id, request, limits)

    def _serve_deliveries(self, endpoint: str, args: Mapping[str, str], request: Request) -> Response:
        """Webhooks, subscriptions and replay (x_deliveries.py), after X's auth and id checks."""
        authorization = request.headers.get("Authorization", "")
        app = self._app_bearer_token is not None and hmac.compare_digest(
            authorization.encode(), f"Bearer {self._app_bearer_token}".encode()
        )
        user_id = None if app else self._authenticate(request)
        if not app and user_id is None:
            return json_response(401, _problem(401))
        if ("app" if app else "user") not in _DELIVERY_AUTH[endpoint]:
            return json_response(
                403,
                {
                    "title": "Unsupported Authentication",
                    "detail": f"Authenticating with {'OAuth 2.0 Application-Only' if app else 'a user context'} is "
                    "forbidden for this endpoint.",
                    "type": "https://api.x.com/2/problems/unsupported-authentication",
                    "status": 403,
                },
            )
        for name, value in args.items():
            if not _NUMERIC_ID.fullmatch(value):
                return json_response(400, _invalid_request(name, value))
        with self._lock:
            limits = self._count_request(user_id or "app", endpoint)
            if limits is None:
                reset = self._windows[(user_id or "app", endpoint)].started + self._rate_window
                return json_response(429, _problem(429), _rate_headers(self._rate_limit, 0, reset))
        try:
            body = json.loads(request.get_data()) if request.get_data() else None
        except ValueError:
            return json_response(400, _invalid_request("body", ""), limits)
        deliveries = self.deliveries
        answers = {
            "webhooks.create": lambda: deliveries.create_webhook(body),
            "webhooks.list": deliveries.list_webhooks,
            "webhooks.replay": lambda: deliveries.replay(body),
            "webhooks.delete": lambda: deliveries.delete_webhook(args["webhook_id"]),
            "webhooks.validate": lambda: deliveries.validate_webhook(args["webhook_id"]),
            "aaa.subscribe": lambda: deliveries.aaa_subscribe(args["webhook_id"], str(user_id)),
            "aaa.check": lambda: deliveries.aaa_check(args["webhook_id"], str(user_id)),
            "aaa.list": lambda: deliveries.aaa_list(args["webhook_id"], APPLICATION_ID),
            "aaa.delete": lambda: deliveries.aaa_delete(args["webhook_id"], args["user_id"]),
            "xaa.create": lambda: deliveries.xaa_create(body),
            "xaa.list": lambda: deliveries.xaa_list(
                request.args.get("max_results"), request.args.get("pagination_token")
            ),
            "xaa.delete": lambda: deliveries.xaa_delete(args["subscription_id"]),
        }
        status, answer = answers[endpoint]()
        return json_response(status, answer, limits)

    def _authenticate(self, request: Request) -> str | None:
        """The user id the request acts as, or None when its credentials do not verify."""
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            return self._bearer_tokens.get(authorization.removeprefix("Bearer ").strip())
        if not authorization.startswith("OAuth "):
            return None
        valid, oauth_request = self._signatures.validate_request(
            request.url,
            http_method=request.method,
            body=request.get_data(as_text=True),
            headers=dict(request.headers),
        )
        if not valid or oauth_request is None or oauth_request.resource_owner_key not in self._tokens:
            return None
        body_hash = oauth_request.oauth_params.get("oauth_body_hash")
        if body_hash is not None:
            # oauth_body_hash (draft-eaton-oauth-bodyhash) signs a JSON body; oauthlib does not check it.
            expected = base64.b64encode(hashlib.sha1(request.get_data()).digest()).decode()  # noqa: S324
            if not hmac.compare_digest(body_hash, expected):
                return None
        return oauth_request.resource_owner_key.split("-", 1)[0]

    def _count_request(self, user_id: str, endpoint: str, limit: int | None = None) -> dict[str, str] | None:
        """Count one request in the user's window: its rate headers, or None when over the limit."""
        limit = self._rate_limit if limit is None else limit
        now = self._clock()
        window = self._windows.get((user_id, endpoint))
        if window is None or now >= window.started + self._rate_window:
            window = self._windows[(user_id, endpoint)] = _RateWindow(started=now)
        if window.used >= limit:
            return None
        window.used += 1
        return _rate_headers(limit, limit - window.used, window.started + self._rate_window)

    def _user_posts(self, reader_id: str, user_id: str, request: Request) -> Response:
        with self._lock:
            limits = self._count_request(reader_id, "user_posts", READ_RATE_LIMIT)
            if limits is None:
                reset = self._windows[(reader_id, "user_posts")].started + self._rate_window
                return json_response(429, _problem(429), _rate_headers(READ_RATE_LIMIT, 0, reset))
            status, answer = self.timelines.user_posts(user_id, {name: request.args[name] for name in request.args})
        return json_response(status, answer, limits)

    def _delete_post(self, user_id: str, post_id: str, limits: dict[str, str]) -> Response:
        author = self._authors.get(post_id)
        if author is None or post_id in self._deleted:
            return json_response(404, _not_found(post_id), limits)
        if author != user_id:
            return json_response(
                403,
                {
                    "title": "Forbidden",
                    "type": "about:blank",
                    "status": 403,
                    "detail": "You are not allowed to delete a Tweet that is not yours.",
                },
                limits,
            )
        self._deleted.add(post_id)
        self.timelines.remove(post_id)
        return json_response(200, {"data": {"deleted": True}}, limits)

    def _retweet(self, user_id: str, request: Request, limits: dict[str, str]) -> Response:
        try:
            body = json.loads(request.get_data())
        except ValueError:
            body = None
        if not isinstance(body, dict) or set(body) != {"tweet_id"} or not isinstance(body["tweet_id"], str):
            return json_response(400, _invalid_request("tweet_id", ""), limits)
        post_id = body["tweet_id"]
        if not _NUMERIC_ID.fullmatch(post_id):
            return json_response(400, _invalid_request("tweet_id", post_id), limits)
        with self._lock:
            if post_id in self._deleted:
                return json_response(404, _not_found(post_id), limits)
            self._retweets.setdefault(user_id, set()).add(post_id)
        return json_response(200, {"data": {"retweeted": True}}, limits)


def _rate_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset)),
    }


def _problem(status: int) -> dict[str, Any]:
    """X's plain problem body for an HTTP status, e.g. {"title": "Too Many Requests", ...}."""
    phrase = HTTPStatus(status).phrase
    return {"title": phrase, "detail": phrase, "type": "about:blank", "status": status}


def _not_found(post_id: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "value": post_id,
                "detail": f"Could not find tweet with id: [{post_id}].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "id",
                "resource_id": post_id,
                "type": "https://api.x.com/2/problems/resource-not-found",
            }
        ]
    }


def _invalid_request(parameter: str, value: str) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {parameter: [value]}, "message": f"The `{parameter}` value [{value}] is not valid"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.x.com/2/problems/invalid-request",
    }
