"""The X API v2 calls Takedown makes, and what each answer means for an incident.

- `unretweet`: DELETE /2/users/{account id}/retweets/{ORIGINAL post id} undoes a retweet. X is
  idempotent here: it answers `{"data": {"retweeted": false}}` whether or not there was a retweet.
- `delete_post`: DELETE /2/tweets/{id} removes a quote post written by the account.
- `retweet`: POST /2/users/{account id}/retweets puts a retweet back after a false positive.
- `user_posts`: GET /2/users/{account id}/tweets, one page of the account's own recent posts with
  what inspection reads (referenced posts and their authors): how the sweep finds lost webhooks.

Every answer becomes an `UndoOutcome` (a `PostsPage` for the read) or one of the `XApiError`
subclasses below, so the caller can decide between "done", "retry later" (XRateLimitedError,
XUnavailableError) and "needs a human" (every other XApiError) without reading HTTP.

    client = XClient(http, XCredentials.from_secret_string(secret_json))
    outcome = client.unretweet(account_id="1072250532645998596", source_post_id="1415348607813832708")
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Self

import httpx
from authlib.oauth1 import ClientAuth
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, model_validator

from takedown.clock import Clock, utc_now
from takedown.endpoint_url import require_https_or_loopback
from takedown.settings import X_API_BASE_URL

DEFAULT_BASE_URL = X_API_BASE_URL

# X usually answers a write in well under a second; a takedown that hangs helps nobody, and a
# timed-out call is retried by the caller (every call here is idempotent on X's side).
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)

# When a 429 comes without x-rate-limit-reset: short enough that a takedown is not held back for a
# whole 15-minute window, long enough not to hammer X.
DEFAULT_RATE_LIMIT_WAIT = timedelta(seconds=60)

XAction = Literal["unretweet", "delete_post", "retweet"]

# What a 200 answer must say for each action to count as done.
_EXPECTED_DATA: dict[XAction, tuple[str, bool]] = {
    "unretweet": ("retweeted", False),
    "delete_post": ("deleted", True),
    "retweet": ("retweeted", True),
}
_NOT_FOUND_PROBLEM = "/2/problems/resource-not-found"  # on api.x.com and on the older api.twitter.com
_NOT_FOUND_TITLE = "Not Found Error"
_POST_ID = re.compile(r"^[0-9]{1,19}$")
_MAX_NOTE_CHARS = 200


@dataclass(frozen=True, slots=True)
class RateLimit:
    """X's x-rate-limit-* headers on one answer: the account's budget on that endpoint until `reset_at`."""

    limit: int
    remaining: int
    reset_at: datetime

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateLimit | None:
        try:
            return cls(
                limit=int(headers["x-rate-limit-limit"]),
                remaining=int(headers["x-rate-limit-remaining"]),
                reset_at=datetime.fromtimestamp(int(headers["x-rate-limit-reset"]), UTC),
            )
        except (KeyError, ValueError, OverflowError, OSError):
            return None


class XApiError(Exception):
    """An X call that did not succeed; its class says whether trying again later can help;
    `rate_limit` is what X's headers said about the account's budget, when it sent them."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.rate_limit: RateLimit | None = None


class XAuthError(XApiError):
    """401/403: the account's tokens are revoked or lack permission. Retrying cannot help."""


class XCreditsError(XApiError):
    """402: the X app has no API credits left (pay-per-use). Nothing works until someone tops them up."""


class XRateLimitedError(XApiError):
    """429: wait until `reset_at` (from x-rate-limit-reset), i.e. `retry_after_seconds` from now."""

    def __init__(self, message: str, *, reset_at: datetime, retry_after_seconds: float) -> None:
        super().__init__(message, status=429)
        self.reset_at = reset_at
        self.retry_after_seconds = retry_after_seconds


class XUnavailableError(XApiError):
    """5xx, a timeout or a connection failure: X may or may not have acted; retry (it is idempotent)."""


class XRequestRejectedError(XApiError):
    """Any other 4xx: X refuses this request as made. Retrying the same request cannot help."""


class XUnexpectedResponseError(XApiError):
    """A success status whose body does not say the action took effect (e.g. still retweeted)."""


class XCredentialsError(ValueError):
    """The account's secret is not usable credentials. The message names fields, never values."""


class XCredentials(BaseModel):
    """One account's X credentials, parsed from the JSON of its Secrets Manager secret.

    OAuth 1.0a user context (consumer_key, consumer_secret, access_token, access_token_secret) is
    preferred: those tokens do not expire. An OAuth 2.0 user `bearer_token` is accepted instead; it
    lasts two hours, so whoever writes the secret must keep it refreshed. Every value is a
    `SecretStr`, so neither repr nor logs of this object show a secret.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    bearer_token: SecretStr | None = None

    @model_validator(mode="after")
    def _one_complete_scheme(self) -> Self:
        oauth1 = (self.consumer_key, self.consumer_secret, self.access_token, self.access_token_secret)
        given = [value for value in oauth1 if value is not None and value.get_secret_value().strip()]
        if 0 < len(given) < len(oauth1):
            raise ValueError("OAuth 1.0a needs all of consumer_key, consumer_secret, access_token, access_token_secret")
        if not given and not (self.bearer_token and self.bearer_token.get_secret_value().strip()):
            raise ValueError("neither OAuth 1.0a user credentials nor an OAuth 2.0 bearer_token")
        return self

    @classmethod
    def from_secret_string(cls, secret_string: str) -> XCredentials:
        """Parse a SecretString; errors list the fields at fault and never echo the secret."""
        try:
            return cls.model_validate_json(secret_string)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'secret'}: {error['msg']}"
                for error in exc.errors(include_input=False, include_url=False)
            )
            raise XCredentialsError(f"unusable X credentials: {problems}") from None

    def http_auth(self) -> httpx.Auth:
        """The httpx auth that signs each request: OAuth 1.0a HMAC-SHA1 when present, else bearer."""
        if self.consumer_key and self.consumer_secret and self.access_token and self.access_token_secret:
            # force_include_body: without it authlib drops a JSON body (retweet's {"tweet_id"}) from
            # the request; with it the body is sent and covered by oauth_body_hash, as oauthlib does.
            return OAuth1HttpxAuth(
                ClientAuth(
                    self.consumer_key.get_secret_value(),
                    client_secret=self.consumer_secret.get_secret_value(),
                    token=self.access_token.get_secret_value(),
                    token_secret=self.access_token_secret.get_secret_value(),
                    force_include_body=True,
                )
            )
        if self.bearer_token is None:  # unreachable: _one_complete_scheme guarantees one scheme
            raise XCredentialsError("no usable X credentials")
        return BearerAuth(self.bearer_token)


class OAuth1HttpxAuth(httpx.Auth):
    """Signs each httpx request with authlib's framework-free OAuth 1.0a signer (RFC 5849).

    authlib's own httpx integration now targets the httpx2 package; this adapter keeps the same
    signer on the httpx we ship, so the Authorization header and oauth_body_hash are unchanged.
    """

    requires_request_body = True

    def __init__(self, signer: ClientAuth) -> None:
        self._signer = signer

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        url, headers, body = self._signer.prepare(request.method, str(request.url), request.headers, request.content)
        headers["Content-Length"] = str(len(body))
        yield httpx.Request(request.method, url, headers=headers, content=body, extensions=request.extensions)


class BearerAuth(httpx.Auth):
    """An OAuth 2.0 user access token as `Authorization: Bearer`."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


@dataclass(frozen=True, slots=True)
class UndoOutcome:
    """An X call that needs no retry: done, or (with `already_gone`) nothing left to do.

    `already_gone` means X reported the post missing (deleted by its author, or the author is
    suspended): nothing is left to undo. An unretweet
    of a post that was not (or no longer) retweeted is plain success: X cannot tell the two apart.
    """

    action: XAction
    post_id: str
    already_gone: bool = False
    rate_limit: RateLimit | None = None  # the account's budget on this endpoint after this call


def outcome_from_response(response: httpx.Response, *, action: XAction, post_id: str, now: datetime) -> UndoOutcome:
    """Map one X answer to an outcome, or raise the matching XApiError. Pure: no I/O, no clock.

    Either way the answer's rate-limit headers travel with it (`rate_limit`), so the caller can
    pace the account's next calls on what X said rather than on a guess.
    """
    rate_limit = RateLimit.from_headers(response.headers)
    try:
        outcome = _outcome(response, action=action, post_id=post_id, now=now)
    except XApiError as error:
        error.rate_limit = rate_limit
        raise
    return replace(outcome, rate_limit=rate_limit)


def _raise_for_refusal(response: httpx.Response, problems: list[dict[str, Any]], where: str, now: datetime) -> None:
    """The answers every X call shares: refused credentials, no credits, rate limited, X failing."""
    status = response.status_code
    if status in (401, 403):
        raise XAuthError(f"{where} {_describe(problems)}", status=status)
    if status == 402:
        raise XCreditsError(f"{where} {_describe(problems)}", status=status)
    if status == 429:
        reset_at = _rate_limit_reset(response.headers, now)
        wait = max(1.0, (reset_at - now).total_seconds())
        raise XRateLimitedError(
            f"{where}, reset at {reset_at.isoformat()}", reset_at=reset_at, retry_after_seconds=wait
        )
    if status >= 500:
        raise XUnavailableError(f"{where} {_describe(problems)}", status=status)


def _outcome(response: httpx.Response, *, action: XAction, post_id: str, now: datetime) -> UndoOutcome:
    status = response.status_code
    body = _json_object(response)
    problems = _problems(body)
    where = f"{action} {post_id}: HTTP {status}"
    _raise_for_refusal(response, problems, where, now)
    data = body.get("data") if body else None
    if 200 <= status < 300 and isinstance(data, dict):
        key, expected = _EXPECTED_DATA[action]
        if data.get(key) is expected:
            return UndoOutcome(action=action, post_id=post_id)
        raise XUnexpectedResponseError(f"{where} but data.{key} is {data.get(key)!r}", status=status)
    if status == 404 or any(_is_not_found(problem) for problem in problems):
        return UndoOutcome(action=action, post_id=post_id, already_gone=True)
    if 200 <= status < 300:
        raise XUnexpectedResponseError(f"{where} without data {_describe(problems)}", status=status)
    raise XRequestRejectedError(f"{where} {_describe(problems)}", status=status)


# What the sweep asks X for, so that a post read from the timeline carries what inspection reads in a
# webhook delivery: the repost's reference, the original post (text, links, media, flags) and its
# author's profile. X's wire names (tweet.fields, referenced_tweets, includes.tweets), which its
# OpenAPI document (v2.167) spells post.fields / referenced_posts in this endpoint's shared parameters.
USER_POSTS_PARAMETERS = {
    "tweet.fields": "attachments,author_id,created_at,entities,lang,note_tweet,possibly_sensitive,"
    "referenced_tweets,source",
    "expansions": "author_id,referenced_tweets.id,referenced_tweets.id.author_id",
    "user.fields": "created_at,description,profile_image_url,public_metrics,verified,verified_type",
}
USER_POSTS_MAX_RESULTS = 100  # X's largest page


@dataclass(frozen=True, slots=True)
class PostsPage:
    """One page of an account's posts, newest first, as X answered it.

    `includes` holds the expansions (referenced posts under "tweets", authors under "users");
    `next_token` the following (older) page, None on the last; `body` the answer's bytes as X sent
    them, kept as evidence when a post on the page turns out bad.
    """

    posts: tuple[dict[str, Any], ...]
    includes: dict[str, Any]
    next_token: str | None
    body: bytes
    rate_limit: RateLimit | None = None


def posts_page_from_response(response: httpx.Response, *, account_id: str, now: datetime) -> PostsPage:
    """Map an answer of GET /2/users/{id}/tweets to a page, or raise the matching XApiError. Pure."""
    rate_limit = RateLimit.from_headers(response.headers)
    body = _json_object(response)
    problems = _problems(body)
    where = f"user_posts {account_id}: HTTP {response.status_code}"
    try:
        _raise_for_refusal(response, problems, where, now)
        if not 200 <= response.status_code < 300:
            raise XRequestRejectedError(f"{where} {_describe(problems)}", status=response.status_code)
        # A page may carry partial errors beside its data (a referenced post since deleted): the
        # posts are still the account's; only an answer without a readable page is unexpected.
        data = body.get("data", []) if body else None
        meta = body.get("meta", {}) if body else None
        includes = body.get("includes", {}) if body else None
        if not isinstance(data, list) or not isinstance(meta, dict) or not isinstance(includes, dict):
            raise XUnexpectedResponseError(f"{where} without a page of posts", status=response.status_code)
    except XApiError as error:
        error.rate_limit = rate_limit
        raise
    next_token = meta.get("next_token")
    return PostsPage(
        posts=tuple(post for post in data if isinstance(post, dict)),
        includes=includes,
        next_token=next_token if isinstance(next_token, str) and next_token else None,
        body=response.content,
        rate_limit=rate_limit,
    )


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _problems(body: dict[str, Any] | None) -> list[dict[str, Any]]:
    """X's problems: an `errors` array (partial errors), or the body itself (a top-level problem)."""
    if not body:
        return []
    errors = body.get("errors")
    if isinstance(errors, list):
        return [error for error in errors if isinstance(error, dict)]
    if "title" in body or "type" in body:
        return [body]
    return []


def _is_not_found(problem: dict[str, Any]) -> bool:
    return str(problem.get("type", "")).endswith(_NOT_FOUND_PROBLEM) or problem.get("title") == _NOT_FOUND_TITLE


def _describe(problems: list[dict[str, Any]]) -> str:
    if not problems:
        return ""
    first = problems[0]
    words = " - ".join(str(part) for part in (first.get("title"), first.get("detail") or first.get("message")) if part)
    return words[:_MAX_NOTE_CHARS]


def _rate_limit_reset(headers: httpx.Headers, now: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(headers["x-rate-limit-reset"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return now + DEFAULT_RATE_LIMIT_WAIT


def _numeric_id(value: str, name: str) -> str:
    if not _POST_ID.fullmatch(value):
        raise ValueError(f"{name} must be a numeric X id, got {value[:40]!r}")
    return value


class XClient:
    """Talks to X for one account. The httpx.Client is passed in (its transport is swappable),
    the base URL is configurable (a stand-in locally), and every call has an explicit timeout."""

    def __init__(
        self,
        http: httpx.Client,
        credentials: XCredentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Clock = utc_now,
    ) -> None:
        self._http = http
        self._auth = credentials.http_auth()
        self._base_url = str(require_https_or_loopback(base_url, name="X API base URL")).rstrip("/")
        self._timeout = timeout
        self._clock = clock

    def __repr__(self) -> str:
        return f"XClient(base_url={self._base_url!r})"

    def unretweet(self, account_id: str, source_post_id: str) -> UndoOutcome:
        """Undo the account's retweet of `source_post_id`, the ORIGINAL post (not the retweet's id)."""
        path = (
            f"/2/users/{_numeric_id(account_id, 'account_id')}/retweets/{_numeric_id(source_post_id, 'source_post_id')}"
        )
        return self._call("unretweet", "DELETE", path, source_post_id)

    def delete_post(self, post_id: str) -> UndoOutcome:
        """Delete a post the account wrote: how a quote of a bad post is undone."""
        return self._call("delete_post", "DELETE", f"/2/tweets/{_numeric_id(post_id, 'post_id')}", post_id)

    def retweet(self, account_id: str, post_id: str) -> UndoOutcome:
        """Retweet `post_id` as the account again: restores a repost undone by a false positive."""
        path = f"/2/users/{_numeric_id(account_id, 'account_id')}/retweets"
        return self._call("retweet", "POST", path, _numeric_id(post_id, "post_id"), {"tweet_id": post_id})

    def user_posts(
        self,
        account_id: str,
        *,
        since_id: str | None = None,
        start_time: datetime | None = None,
        pagination_token: str | None = None,
    ) -> PostsPage:
        """One page of the account's own posts newer than `since_id` (or since `start_time`), newest first."""
        params = {**USER_POSTS_PARAMETERS, "max_results": str(USER_POSTS_MAX_RESULTS)}
        if since_id is not None:
            params["since_id"] = _numeric_id(since_id, "since_id")
        if start_time is not None:
            params["start_time"] = start_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if pagination_token is not None:
            params["pagination_token"] = pagination_token
        url = f"{self._base_url}/2/users/{_numeric_id(account_id, 'account_id')}/tweets"
        try:
            response = self._http.get(
                url, params=params, headers={"Accept": "application/json"}, auth=self._auth, timeout=self._timeout
            )
        except httpx.TransportError as exc:
            raise XUnavailableError(f"user_posts {account_id}: {type(exc).__name__}") from exc
        return posts_page_from_response(response, account_id=account_id, now=self._clock())

    def _call(
        self, action: XAction, method: str, path: str, post_id: str, json_body: dict[str, str] | None = None
    ) -> UndoOutcome:
        try:
            response = self._http.request(
                method,
                self._base_url + path,
                json=json_body,
                headers={"Accept": "application/json"},
                auth=self._auth,
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise XUnavailableError(f"{action} {post_id}: {type(exc).__name__}") from exc
        return outcome_from_response(response, action=action, post_id=post_id, now=self._clock())
