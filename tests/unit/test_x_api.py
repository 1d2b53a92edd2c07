"""The X API client: how each X answer maps to an outcome, and real signed round-trips against
the local X stand-in, whose OAuth 1.0a check is oauthlib's (not the authlib that signs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from takedown.settings import ConfigurationError
from takedown.x_api import (
    DEFAULT_RATE_LIMIT_WAIT,
    RateLimit,
    UndoOutcome,
    XAuthError,
    XClient,
    XCredentials,
    XCredentialsError,
    XCreditsError,
    XRateLimitedError,
    XRequestRejectedError,
    XUnavailableError,
    XUnexpectedResponseError,
    outcome_from_response,
)
from takedown_local.standins import XStandIn
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
STANDIN_EPOCH = 1_800_000_000.0  # the stand-in's clock, for exact rate-limit resets

# The real AAA retweet sample: @TweepyDev (the subscribed account) retweeted @Twitter's post.
RETWEET_EVENT = json.loads(
    (FIXTURES / "CONSTRUCTED_aaa_tweet_create_events_retweet_by_subscribed_user.json").read_text()
)["tweet_create_events"][0]
ACCOUNT_ID = RETWEET_EVENT["user"]["id_str"]
RETWEET_ID = RETWEET_EVENT["id_str"]
ORIGINAL_ID = RETWEET_EVENT["retweeted_status"]["id_str"]

CONSUMER_KEY = "takedownconsumerkey0001"
CONSUMER_SECRET = "consumer-secret-do-not-log-7Qx"
ACCESS_TOKEN = f"{ACCOUNT_ID}-accesstokenAbc123"
ACCESS_TOKEN_SECRET = "access-token-secret-do-not-log-9Zp"
OTHER_ACCESS_TOKEN = "2244994945-otheraccesstoken"
BEARER_TOKEN = "oauth2-user-bearer-do-not-log-4Kd"
SECRETS = (CONSUMER_SECRET, ACCESS_TOKEN_SECRET, BEARER_TOKEN)

# Loopback calls answer in milliseconds, but a loaded CI machine can take a few hundred: only the
# timeout test uses a short timeout (SHORT) against a delay well beyond it.
CALL = httpx.Timeout(5.0)
SHORT = httpx.Timeout(0.2)


def oauth1_credentials(**overrides: str) -> XCredentials:
    values = {
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_token_secret": ACCESS_TOKEN_SECRET,
        **overrides,
    }
    return XCredentials.from_secret_string(json.dumps(values))


def response(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def mock_client(handler: Callable[[httpx.Request], httpx.Response], credentials: XCredentials | None = None) -> XClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return XClient(http, credentials or oauth1_credentials(), clock=lambda: NOW)


@pytest.fixture
def x() -> Iterator[XStandIn]:
    with XStandIn(
        CONSUMER_KEY,
        CONSUMER_SECRET,
        tokens={ACCESS_TOKEN: ACCESS_TOKEN_SECRET, OTHER_ACCESS_TOKEN: "other-secret"},
        bearer_tokens={BEARER_TOKEN: ACCOUNT_ID},
        clock=lambda: STANDIN_EPOCH,
    ) as standin:
        yield standin


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def client(x: XStandIn, http: httpx.Client) -> XClient:
    return XClient(http, oauth1_credentials(), base_url=x.url, timeout=CALL)


# --- outcome mapping (pure) ---


@pytest.mark.parametrize(
    ("action", "fixture"),
    [
        ("unretweet", "tweepy_v2_DELETE_users_id_retweets_response.json"),
        ("delete_post", "tweepy_v2_DELETE_tweets_id_response.json"),
        ("retweet", "tweepy_v2_POST_users_id_retweets_response.json"),
    ],
)
def test_real_x_success_bodies_are_done(action: str, fixture: str) -> None:
    body = json.loads((FIXTURES / fixture).read_text())
    outcome = outcome_from_response(response(200, body), action=action, post_id="1", now=NOW)
    assert outcome == UndoOutcome(action=action, post_id="1", already_gone=False)


@pytest.mark.parametrize(
    "answer",
    [
        response(
            404,
            {
                "title": "Not Found Error",
                "detail": "Could not find tweet with id: [9].",
                "type": "https://api.x.com/2/problems/resource-not-found",
                "resource_type": "tweet",
            },
        ),
        response(404),
        response(
            200,
            {
                "errors": [
                    {
                        "title": "Not Found Error",
                        "detail": "Could not find tweet with id: [9].",
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                        "resource_type": "tweet",
                    }
                ]
            },
        ),
    ],
    ids=["404-problem", "404-empty", "200-with-not-found-error"],
)
def test_post_already_gone_is_done(answer: httpx.Response) -> None:
    outcome = outcome_from_response(answer, action="delete_post", post_id="9", now=NOW)
    assert outcome.already_gone
    assert outcome.action == "delete_post"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_permanent(status: int) -> None:
    problem = {"title": "Forbidden", "detail": "not allowed", "type": "about:blank", "status": status}
    with pytest.raises(XAuthError) as raised:
        outcome_from_response(response(status, problem), action="unretweet", post_id="1", now=NOW)
    assert raised.value.status == status
    assert not isinstance(raised.value, XRateLimitedError | XUnavailableError)  # what the caller retries


def test_rate_limited_carries_the_reset_from_x() -> None:
    reset = int((NOW + timedelta(seconds=437)).timestamp())
    answer = response(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(reset)})
    with pytest.raises(XRateLimitedError) as raised:
        outcome_from_response(answer, action="unretweet", post_id="1", now=NOW)
    assert raised.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert raised.value.retry_after_seconds == 437


@pytest.mark.parametrize("header", [None, "soon"])
def test_rate_limited_without_a_usable_reset_waits_the_default(header: str | None) -> None:
    answer = response(429, headers={"x-rate-limit-reset": header} if header else None)
    with pytest.raises(XRateLimitedError) as raised:
        outcome_from_response(answer, action="unretweet", post_id="1", now=NOW)
    assert raised.value.reset_at == NOW + DEFAULT_RATE_LIMIT_WAIT


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(status: int) -> None:
    with pytest.raises(XUnavailableError) as raised:
        outcome_from_response(response(status), action="unretweet", post_id="1", now=NOW)
    assert raised.value.status == status


def test_no_credits_left_is_its_own_failure() -> None:
    problem = {"title": "Payment Required", "detail": "Your account has no credits left.", "type": "about:blank"}
    with pytest.raises(XCreditsError, match="HTTP 402 Payment Required - Your account has no credits") as raised:
        outcome_from_response(response(402, problem), action="unretweet", post_id="1", now=NOW)
    assert raised.value.status == 402


def test_other_client_errors_are_rejected() -> None:
    problem = {"title": "Invalid Request", "type": "https://api.x.com/2/problems/invalid-request"}
    with pytest.raises(XRequestRejectedError, match="Invalid Request"):
        outcome_from_response(response(400, problem), action="retweet", post_id="1", now=NOW)


@pytest.mark.parametrize(
    ("action", "answer"),
    [
        ("unretweet", response(200, {"data": {"retweeted": True}})),
        ("delete_post", response(200, {"data": {"deleted": False}})),
        ("unretweet", httpx.Response(200, text="<html>proxy</html>")),
    ],
    ids=["still-retweeted", "not-deleted", "not-json"],
)
def test_success_status_without_the_effect_is_unexpected(action: str, answer: httpx.Response) -> None:
    with pytest.raises(XUnexpectedResponseError):
        outcome_from_response(answer, action=action, post_id="1", now=NOW)


# --- the client's requests (MockTransport) ---


def test_unretweet_is_a_signed_delete_of_the_original_post() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response(200, {"data": {"retweeted": False}})

    mock_client(handler).unretweet(ACCOUNT_ID, ORIGINAL_ID)
    (request,) = seen
    assert (request.method, request.url.path) == ("DELETE", f"/2/users/{ACCOUNT_ID}/retweets/{ORIGINAL_ID}")
    assert request.url.host == "api.x.com"
    assert request.headers["Authorization"].startswith("OAuth ")
    assert 'oauth_signature_method="HMAC-SHA1"' in request.headers["Authorization"]
    assert CONSUMER_SECRET not in request.headers["Authorization"]


def test_retweet_sends_the_json_body_it_signs() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response(200, {"data": {"retweeted": True}})

    mock_client(handler).retweet(ACCOUNT_ID, ORIGINAL_ID)
    (request,) = seen
    assert json.loads(request.content) == {"tweet_id": ORIGINAL_ID}
    assert "oauth_body_hash" in request.headers["Authorization"]


def test_bearer_credentials_send_a_bearer_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response(200, {"data": {"deleted": True}})

    credentials = XCredentials.from_secret_string(json.dumps({"bearer_token": BEARER_TOKEN}))
    mock_client(handler, credentials).delete_post("123")
    assert seen[0].headers["Authorization"] == f"Bearer {BEARER_TOKEN}"


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")]
)
def test_transport_failures_are_transient(failure: httpx.TransportError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(XUnavailableError) as raised:
        mock_client(handler).unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert raised.value.__cause__ is failure


@pytest.mark.parametrize("bad_id", ["../1", "12a", "", "1" * 20])
def test_ids_that_are_not_numeric_never_reach_x(bad_id: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    with pytest.raises(ValueError, match="numeric X id"):
        mock_client(handler).unretweet(ACCOUNT_ID, bad_id)


@pytest.mark.parametrize("base_url", ["http://api.x.com", "ftp://127.0.0.1", "not a url"])
def test_base_url_must_be_https_except_on_loopback(base_url: str) -> None:
    with pytest.raises(ConfigurationError):
        XClient(httpx.Client(), oauth1_credentials(), base_url=base_url)


# --- credentials ---


@pytest.mark.parametrize(
    "secret",
    [
        json.dumps({"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}),
        json.dumps({"access_token_secret": ACCESS_TOKEN_SECRET, "bearer_token": ""}),
        json.dumps({"consumer_secret": 12345, "bearer_token": BEARER_TOKEN}),
        f'{{"consumer_secret": "{CONSUMER_SECRET}", ',
    ],
    ids=["partial-oauth1", "empty", "wrong-type", "not-json"],
)
def test_unusable_secrets_are_refused_without_echoing_them(secret: str) -> None:
    with pytest.raises(XCredentialsError) as raised:
        XCredentials.from_secret_string(secret)
    message = str(raised.value)
    assert all(value not in message for value in (*SECRETS, "12345"))
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_credentials_never_show_secrets() -> None:
    credentials = oauth1_credentials(bearer_token=BEARER_TOKEN)
    shown = f"{credentials!r} {credentials} {credentials.model_dump()}"
    assert all(value not in shown for value in SECRETS)


def test_client_errors_never_show_secrets(x: XStandIn, http: httpx.Client) -> None:
    client = XClient(http, oauth1_credentials(access_token_secret="wrong"), base_url=x.url, timeout=CALL)
    with pytest.raises(XAuthError) as raised:
        client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert all(value not in f"{raised.value!r} {client!r}" for value in SECRETS)


# --- round trips against the X stand-in ---


def test_signed_unretweet_undoes_the_retweet_of_the_original_post(x: XStandIn, client: XClient) -> None:
    x.seed_retweet(ACCOUNT_ID, ORIGINAL_ID)
    outcome = client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert replace(outcome, rate_limit=None) == UndoOutcome(action="unretweet", post_id=ORIGINAL_ID)
    assert outcome.rate_limit is not None and (outcome.rate_limit.limit, outcome.rate_limit.remaining) == (50, 49)
    assert x.retweeted_by(ACCOUNT_ID) == frozenset()
    assert [(c["method"], c["path"], c["status"]) for c in x.calls] == [
        ("DELETE", f"/2/users/{ACCOUNT_ID}/retweets/{ORIGINAL_ID}", 200)
    ]
    assert RETWEET_ID not in x.calls[0]["path"]


def test_unretweet_is_idempotent_like_x(x: XStandIn, client: XClient) -> None:
    x.seed_retweet(ACCOUNT_ID, ORIGINAL_ID)
    first = client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    second = client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert replace(first, rate_limit=None) == replace(second, rate_limit=None)
    assert replace(first, rate_limit=None) == UndoOutcome(action="unretweet", post_id=ORIGINAL_ID)
    assert [c["status"] for c in x.calls] == [200, 200]


def test_unretweeting_by_the_retweets_own_id_leaves_the_retweet_up(x: XStandIn, client: XClient) -> None:
    x.seed_retweet(ACCOUNT_ID, ORIGINAL_ID)
    client.unretweet(ACCOUNT_ID, RETWEET_ID)
    assert x.retweeted_by(ACCOUNT_ID) == {ORIGINAL_ID}


def test_quote_post_is_deleted_once_then_reported_gone(x: XStandIn, client: XClient) -> None:
    x.seed_post(ACCOUNT_ID, "1500000000000000001")
    assert not client.delete_post("1500000000000000001").already_gone
    again = client.delete_post("1500000000000000001")
    assert again.already_gone
    assert x.is_deleted("1500000000000000001")


def test_restore_retweets_the_original_again(x: XStandIn, client: XClient) -> None:
    x.seed_retweet(ACCOUNT_ID, ORIGINAL_ID)
    client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    restored = client.retweet(ACCOUNT_ID, ORIGINAL_ID)
    assert replace(restored, rate_limit=None) == UndoOutcome(action="retweet", post_id=ORIGINAL_ID)
    assert x.retweeted_by(ACCOUNT_ID) == {ORIGINAL_ID}


@pytest.mark.parametrize(
    "overrides",
    [
        {"consumer_secret": "wrong-consumer-secret"},
        {"access_token_secret": "wrong"},
        {"access_token": "42-unknown"},
    ],
    ids=["wrong-consumer-secret", "wrong-token-secret", "unknown-token"],
)
def test_wrong_credentials_are_rejected_401(x: XStandIn, http: httpx.Client, overrides: dict[str, str]) -> None:
    x.seed_retweet(ACCOUNT_ID, ORIGINAL_ID)
    client = XClient(http, oauth1_credentials(**overrides), base_url=x.url, timeout=CALL)
    with pytest.raises(XAuthError) as raised:
        client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert raised.value.status == 401
    assert x.retweeted_by(ACCOUNT_ID) == {ORIGINAL_ID}


def test_tampered_signature_is_rejected_401(x: XStandIn) -> None:
    def tamper(request: httpx.Request) -> None:
        # Runs after signing: flip one character of the signature.
        header = request.headers["Authorization"]
        start = header.index('oauth_signature="') + len('oauth_signature="')
        flipped = "B" if header[start] == "A" else "A"
        request.headers["Authorization"] = header[:start] + flipped + header[start + 1 :]

    with httpx.Client(event_hooks={"request": [tamper]}) as http:
        client = XClient(http, oauth1_credentials(), base_url=x.url, timeout=CALL)
        with pytest.raises(XAuthError):
            client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert x.calls[-1]["status"] == 401


def test_replayed_signed_request_is_rejected(x: XStandIn, http: httpx.Client) -> None:
    request = http.build_request("DELETE", f"{x.url}/2/users/{ACCOUNT_ID}/retweets/{ORIGINAL_ID}")
    signed = next(oauth1_credentials().http_auth().auth_flow(request))
    assert http.send(signed).status_code == 200
    assert http.send(signed).status_code == 401


def test_swapped_json_body_breaks_the_body_hash(x: XStandIn, http: httpx.Client) -> None:
    request = http.build_request("POST", f"{x.url}/2/users/{ACCOUNT_ID}/retweets", json={"tweet_id": "1"})
    signed = next(oauth1_credentials().http_auth().auth_flow(request))
    swapped = httpx.Request("POST", signed.url, headers=signed.headers, content=b'{"tweet_id":"2"}')
    assert http.send(swapped).status_code == 401
    assert x.retweeted_by(ACCOUNT_ID) == frozenset()


def test_missing_authorization_is_rejected_with_xs_error_body(x: XStandIn, http: httpx.Client) -> None:
    answer = http.delete(f"{x.url}/2/users/{ACCOUNT_ID}/retweets/{ORIGINAL_ID}")
    assert answer.status_code == 401
    assert answer.json()["title"] == "Unauthorized"


def test_bearer_token_round_trip(x: XStandIn, http: httpx.Client) -> None:
    x.seed_retweet(ACCOUNT_ID, ORIGINAL_ID)
    credentials = XCredentials.from_secret_string(json.dumps({"bearer_token": BEARER_TOKEN}))
    XClient(http, credentials, base_url=x.url, timeout=CALL).unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert x.retweeted_by(ACCOUNT_ID) == frozenset()
    unknown = XCredentials.from_secret_string(json.dumps({"bearer_token": "not-a-known-token"}))
    with pytest.raises(XAuthError):
        XClient(http, unknown, base_url=x.url, timeout=CALL).unretweet(ACCOUNT_ID, ORIGINAL_ID)


def test_acting_for_another_user_is_forbidden(x: XStandIn, client: XClient) -> None:
    x.seed_retweet("2244994945", ORIGINAL_ID)
    with pytest.raises(XAuthError) as raised:
        client.unretweet("2244994945", ORIGINAL_ID)
    assert raised.value.status == 403
    assert x.retweeted_by("2244994945") == {ORIGINAL_ID}


def test_rate_limit_429_carries_the_standins_reset(x: XStandIn, client: XClient) -> None:
    x.fail_next(status=429, times=1, reset_in=2)
    with pytest.raises(XRateLimitedError) as raised:
        client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert raised.value.reset_at == datetime.fromtimestamp(STANDIN_EPOCH + 2, UTC)
    assert client.unretweet(ACCOUNT_ID, ORIGINAL_ID).action == "unretweet"


def test_unretweet_limit_of_50_per_window_is_enforced(x: XStandIn, client: XClient) -> None:
    for _ in range(50):
        client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    with pytest.raises(XRateLimitedError) as raised:
        client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert raised.value.reset_at == datetime.fromtimestamp(STANDIN_EPOCH + 15 * 60, UTC)
    assert [c["status"] for c in x.calls].count(429) == 1


def test_rate_headers_count_down(x: XStandIn, http: httpx.Client) -> None:
    auth = oauth1_credentials().http_auth()
    url = f"{x.url}/2/users/{ACCOUNT_ID}/retweets/{ORIGINAL_ID}"
    first, second = (http.delete(url, auth=auth) for _ in range(2))
    assert first.headers["x-rate-limit-limit"] == "50"
    assert (first.headers["x-rate-limit-remaining"], second.headers["x-rate-limit-remaining"]) == ("49", "48")
    assert first.headers["x-rate-limit-reset"] == str(int(STANDIN_EPOCH + 15 * 60))


def test_server_error_is_transient_and_passes(x: XStandIn, client: XClient) -> None:
    x.fail_next(status=500)
    with pytest.raises(XUnavailableError) as raised:
        client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    assert raised.value.status == 500
    assert client.unretweet(ACCOUNT_ID, ORIGINAL_ID).action == "unretweet"


def test_timeout_is_transient(x: XStandIn, http: httpx.Client) -> None:
    x.delay_next(1.0)
    with pytest.raises(XUnavailableError, match="Timeout"):
        XClient(http, oauth1_credentials(), base_url=x.url, timeout=SHORT).unretweet(ACCOUNT_ID, ORIGINAL_ID)


def test_calls_are_served_as_json_without_recording_themselves(
    x: XStandIn, client: XClient, http: httpx.Client
) -> None:
    client.unretweet(ACCOUNT_ID, ORIGINAL_ID)
    served = http.get(f"{x.url}/_standin/calls").json()
    assert served == x.calls
    assert len(http.get(f"{x.url}/_standin/calls").json()) == 1
    assert set(served[0]) == {"method", "path", "status", "at"}


def test_every_answer_carries_the_rate_limit_headers_x_sent() -> None:
    headers = {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1795000000"}
    ok = httpx.Response(200, json={"data": {"retweeted": False}}, headers=headers)
    outcome = outcome_from_response(ok, action="unretweet", post_id="1", now=NOW)
    assert outcome.rate_limit == RateLimit(50, 0, datetime.fromtimestamp(1795000000, UTC))
    with pytest.raises(XUnavailableError) as raised:
        outcome_from_response(httpx.Response(503, headers=headers), action="unretweet", post_id="1", now=NOW)
    assert raised.value.rate_limit == outcome.rate_limit
    bare = outcome_from_response(
        httpx.Response(200, json={"data": {"retweeted": False}}), action="unretweet", post_id="1", now=NOW
    )
    assert bare.rate_limit is None
