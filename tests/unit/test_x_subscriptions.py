"""Webhooks, subscriptions and replay against the X stand-in, which makes X's CRC call to a real
loopback webhook and delivers signed events to it; and every X failure mapped to its error."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from takedown.settings import ConfigurationError
from takedown.x_api import (
    XApiError,
    XAuthError,
    XCredentials,
    XCreditsError,
    XRateLimitedError,
    XRequestRejectedError,
    XUnavailableError,
    XUnexpectedResponseError,
)
from takedown.x_subscriptions import (
    XAA_EVENT_TYPES,
    ReplayWindow,
    ReplayWindowError,
    XConflictError,
    XCrcFailedError,
    XDuplicateError,
    XLimitExceededError,
    XNotFoundError,
    XSubscriptions,
    checked_body,
)
from takedown_local.standins import XStandIn
from takedown_local.standins.x_deliveries import XDeliveries
from tests.conftest import FIXTURES
from tests.x_webhook_support import FakeWebhook

CONSUMER_KEY = "takedownconsumerkey0001"
CONSUMER_SECRET = "consumer-secret-do-not-log-7Qx"
APP_BEARER = "app-bearer-token-do-not-log-3Hs"
ENVELOPE = json.loads((FIXTURES / "CONSTRUCTED_aaa_tweet_create_events_retweet_by_subscribed_user.json").read_text())
ACCOUNT_ID = ENVELOPE["for_user_id"]
ACCESS_TOKEN = f"{ACCOUNT_ID}-accesstokenAbc123"
ACCESS_TOKEN_SECRET = "access-token-secret-do-not-log-9Zp"
SECRETS = (CONSUMER_SECRET, APP_BEARER, ACCESS_TOKEN_SECRET)
NOW = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def webhook() -> Iterator[FakeWebhook]:
    with FakeWebhook(CONSUMER_SECRET) as server:
        yield server


@pytest.fixture
def x() -> Iterator[XStandIn]:
    with XStandIn(
        CONSUMER_KEY, CONSUMER_SECRET, {ACCESS_TOKEN: ACCESS_TOKEN_SECRET}, app_bearer_token=APP_BEARER
    ) as standin:
        yield standin


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def admin(x: XStandIn, http: httpx.Client) -> XSubscriptions:
    return XSubscriptions(http, SecretStr(APP_BEARER), base_url=x.url)


def account() -> XCredentials:
    return XCredentials.model_validate(
        {
            "consumer_key": CONSUMER_KEY,
            "consumer_secret": CONSUMER_SECRET,
            "access_token": ACCESS_TOKEN,
            "access_token_secret": ACCESS_TOKEN_SECRET,
        }
    )


def one_line(error: BaseException) -> str:
    """Every message is one line for an operator and never holds a secret."""
    message = str(error)
    assert "\n" not in message
    assert not any(secret in message for secret in SECRETS)
    return message


def wait_for(condition: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.02)
    raise TimeoutError


# --- webhooks ---


def test_register_makes_x_check_the_webhook_with_a_signed_crc_call(admin: XSubscriptions, webhook: FakeWebhook) -> None:
    registered = admin.register_webhook(webhook.address)

    assert registered.valid and registered.url == webhook.address and registered.id.isdigit()
    assert webhook.crc_checks == [True]  # X's GET was signed over its raw query string
    assert admin.list_webhooks() == [registered]
    assert admin.sole_webhook_id() == registered.id


def test_a_wrong_crc_answer_registers_nothing(admin: XSubscriptions, webhook: FakeWebhook) -> None:
    webhook.crc = "wrong"
    with pytest.raises(XCrcFailedError) as failure:
        admin.register_webhook(webhook.address)
    assert "CrcValidationFailed" in one_line(failure.value)
    assert "CRC check" in str(failure.value)
    assert admin.list_webhooks() == []


def test_a_failing_webhook_fails_the_crc_too(admin: XSubscriptions, webhook: FakeWebhook) -> None:
    webhook.crc = "broken"
    with pytest.raises(XCrcFailedError):
        admin.register_webhook(webhook.address)


def test_the_same_url_twice_is_a_duplicate(admin: XSubscriptions, webhook: FakeWebhook) -> None:
    admin.register_webhook(webhook.address)
    with pytest.raises(XDuplicateError) as failure:
        admin.register_webhook(webhook.address)
    assert "DuplicateUrlFailed" in one_line(failure.value)


def test_more_webhooks_than_the_tier_allows_are_refused(admin: XSubscriptions, webhook: FakeWebhook) -> None:
    admin.register_webhook(webhook.address)
    with pytest.raises(XLimitExceededError) as failure:
        admin.register_webhook(webhook.url + "/another")
    assert "WebhookLimitExceeded" in one_line(failure.value)


@pytest.mark.parametrize("url", ["http://example.com/webhooks/x", "https://example.com:8443/webhooks/x", "x"])
def test_x_refuses_plain_http_and_ports_off_loopback(admin: XSubscriptions, url: str) -> None:
    with pytest.raises(XRequestRejectedError) as failure:
        admin.register_webhook(url)
    assert type(failure.value) is XRequestRejectedError
    assert "UrlValidationFailed" in one_line(failure.value)


def test_delete_removes_the_webhook_and_an_unknown_one_is_not_found(
    admin: XSubscriptions, webhook: FakeWebhook
) -> None:
    registered = admin.register_webhook(webhook.address)
    admin.delete_webhook(registered.id)
    assert admin.list_webhooks() == []
    with pytest.raises(XNotFoundError) as failure:
        admin.delete_webhook(registered.id)
    assert "WebhookIdInvalid" in one_line(failure.value)
    with pytest.raises(XNotFoundError, match="takedown webhook register"):
        admin.sole_webhook_id()


def test_revalidation_runs_the_crc_again_and_marks_a_failing_webhook_invalid(
    admin: XSubscriptions, webhook: FakeWebhook
) -> None:
    registered = admin.register_webhook(webhook.address)
    assert admin.validate_webhook(registered.id) is True
    webhook.crc = "wrong"
    with pytest.raises(XCrcFailedError):
        admin.validate_webhook(registered.id)
    assert [hook.valid for hook in admin.list_webhooks()] == [False]
    assert webhook.crc_checks == [True, True, True]


def test_several_webhooks_need_one_named(x: XStandIn, admin: XSubscriptions, webhook: FakeWebhook) -> None:
    x.deliveries = XDeliveries(CONSUMER_SECRET, clock=time.time, webhook_limit=2)
    first = admin.register_webhook(webhook.address)
    second = admin.register_webhook(webhook.url + "/second")
    with pytest.raises(XRequestRejectedError, match="--webhook-id") as failure:
        admin.sole_webhook_id()
    assert first.id in one_line(failure.value) and second.id in str(failure.value)


# --- authentication and X's failures, through the stand-in ---


def test_a_wrong_app_bearer_token_is_an_auth_error_naming_it(x: XStandIn, http: httpx.Client) -> None:
    wrong = XSubscriptions(http, SecretStr("not-the-app-token"), base_url=x.url)
    with pytest.raises(XAuthError) as failure:
        wrong.list_webhooks()
    message = one_line(failure.value)
    assert "401" in message and "app's bearer token" in message and "not-the-app-token" not in message


def test_an_endpoint_for_users_refuses_the_app_token(x: XStandIn, http: httpx.Client) -> None:
    answer = http.post(
        f"{x.url}/2/account_activity/webhooks/1/subscriptions/all", headers={"Authorization": f"Bearer {APP_BEARER}"}
    )
    with pytest.raises(XAuthError) as failure:
        checked_body(answer, action="subscribe", now=NOW, credential="the app's bearer token")
    assert "403" in one_line(failure.value) and "unsupported-authentication" in str(failure.value)


def test_rate_limited_says_when_to_try_again(x: XStandIn, admin: XSubscriptions) -> None:
    x.fail_next(429, reset_in=90)
    with pytest.raises(XRateLimitedError) as failure:
        admin.list_webhooks()
    assert "try again after" in one_line(failure.value)
    assert 60 < failure.value.retry_after_seconds <= 91


@pytest.mark.parametrize("status", [500, 503])
def test_x_failing_is_unavailable(x: XStandIn, admin: XSubscriptions, status: int) -> None:
    x.fail_next(status)
    with pytest.raises(XUnavailableError) as failure:
        admin.list_webhooks()
    assert str(status) in one_line(failure.value)


def test_x_not_answering_is_unavailable(http: httpx.Client) -> None:
    with FakeWebhook(CONSUMER_SECRET) as server:  # a port that was just freed
        closed = server.url
    unreachable = XSubscriptions(http, SecretStr(APP_BEARER), base_url=closed)
    with pytest.raises(XUnavailableError, match="did not answer"):
        unreachable.list_webhooks()


def test_the_base_url_must_be_https_off_loopback(http: httpx.Client) -> None:
    with pytest.raises(ConfigurationError):
        XSubscriptions(http, SecretStr(APP_BEARER), base_url="http://api.x.com")


# --- X's answers as documented, mapped without a stand-in ---


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def invalid(reason: str) -> dict[str, Any]:
    return {
        "errors": [{"message": f"{reason}: details"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (answer(400, invalid("CrcValidationFailed")), XCrcFailedError),
        (answer(400, invalid("DuplicateUrlFailed")), XDuplicateError),
        (answer(400, invalid("DuplicateSubscriptionFailed")), XDuplicateError),
        (answer(409, {"title": "Conflict", "detail": "exists", "type": "about:blank"}), XDuplicateError),
        (answer(400, invalid("WebhookLimitExceeded")), XLimitExceededError),
        (answer(400, invalid("SubscriptionLimitExceeded")), XLimitExceededError),
        (answer(400, invalid("WebhookIdInvalid")), XNotFoundError),
        (answer(400, invalid("SubscriptionNotFound")), XNotFoundError),
        (answer(404, {"title": "Not Found Error", "type": "https://api.x.com/2/problems/resource-not-found"}),
         XNotFoundError),
        (answer(400, invalid("ReplayConflictError")), XConflictError),
        (answer(400, invalid("QueryParamInvalid")), XRequestRejectedError),
        (answer(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
         XAuthError),
        (answer(403, {"title": "Client Forbidden", "type": "https://api.x.com/2/problems/client-forbidden",
                      "reason": "client-not-enrolled", "detail": "This request must be made using an approved "
                      "developer account that is enrolled in the requested endpoint."}), XAuthError),
        (answer(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(int(NOW.timestamp()) + 60)}),
         XRateLimitedError),
        (answer(402, {"title": "Payment Required", "type": "https://api.x.com/2/problems/credits-depleted"}),
         XCreditsError),
        (answer(502, {"title": "Bad Gateway"}), XUnavailableError),
        (answer(200, {"errors": [{"message": "partial"}]}), XUnexpectedResponseError),
    ],
)  # fmt: skip
def test_each_x_failure_maps_to_its_error(response: httpx.Response, error: type[XApiError]) -> None:
    with pytest.raises(error) as failure:
        checked_body(response, action="do it", now=NOW, credential="the app's bearer token")
    assert type(failure.value) is error
    assert one_line(failure.value).startswith(f"do it: X answered {response.status_code}")
    assert failure.value.status == response.status_code


def test_a_forbidden_answer_names_x_problem_and_reason() -> None:
    body = {"title": "Client Forbidden", "type": "https://api.x.com/2/problems/client-forbidden",
            "reason": "client-not-enrolled", "detail": "not enrolled"}  # fmt: skip
    with pytest.raises(XAuthError) as failure:
        checked_body(answer(403, body), action="list", now=NOW, credential="the app's bearer token")
    assert "client-forbidden" in str(failure.value) and "not enrolled" in str(failure.value)


def test_a_long_x_message_is_cut_to_one_short_line() -> None:
    body = {"errors": [{"message": "QueryParamInvalid: " + "word\nword " * 200}]}
    with pytest.raises(XRequestRejectedError) as failure:
        checked_body(answer(400, body), action="replay", now=NOW, credential="the app's bearer token")
    assert len(one_line(failure.value)) < 320


def test_rate_limited_without_a_reset_header_waits_a_minute() -> None:
    with pytest.raises(XRateLimitedError) as failure:
        checked_body(answer(429, {}), action="list", now=NOW, credential="the app's bearer token")
    assert failure.value.reset_at == NOW + timedelta(seconds=60)


# --- Account Activity API ---


@pytest.fixture
def webhook_id(admin: XSubscriptions, webhook: FakeWebhook) -> str:
    return admin.register_webhook(webhook.address).id


def test_aaa_subscribes_the_account_with_its_own_tokens(admin: XSubscriptions, webhook_id: str) -> None:
    assert admin.is_subscribed(webhook_id, ACCOUNT_ID, account()) is False
    created = admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())

    assert [(sub.api, sub.account_id, sub.webhook_id) for sub in created] == [("aaa", ACCOUNT_ID, webhook_id)]
    assert admin.is_subscribed(webhook_id, ACCOUNT_ID, account()) is True
    assert [sub.account_id for sub in admin.subscriptions("aaa", webhook_id)] == [ACCOUNT_ID]


def test_aaa_twice_is_a_duplicate(admin: XSubscriptions, webhook_id: str) -> None:
    admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    with pytest.raises(XDuplicateError) as failure:
        admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    assert "DuplicateSubscriptionFailed" in one_line(failure.value)


def test_aaa_to_an_unknown_webhook_is_not_found(admin: XSubscriptions, webhook_id: str) -> None:
    with pytest.raises(XNotFoundError, match="WebhookIdInvalid"):
        admin.subscribe("aaa", "1234567890123456789", ACCOUNT_ID, account())


def test_aaa_with_revoked_tokens_names_the_account_tokens(x: XStandIn, admin: XSubscriptions, webhook_id: str) -> None:
    x.revoke(ACCESS_TOKEN)
    with pytest.raises(XAuthError) as failure:
        admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    assert "account's tokens" in one_line(failure.value)


def test_aaa_unsubscribe_and_again_is_not_found(admin: XSubscriptions, webhook_id: str) -> None:
    admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    removed = admin.unsubscribe("aaa", webhook_id, ACCOUNT_ID)
    assert [sub.account_id for sub in removed] == [ACCOUNT_ID]
    assert admin.subscriptions("aaa", webhook_id) == []
    with pytest.raises(XNotFoundError, match="SubscriptionNotFound"):
        admin.unsubscribe("aaa", webhook_id, ACCOUNT_ID)


def test_aaa_subscription_limit(x: XStandIn, admin: XSubscriptions, webhook: FakeWebhook) -> None:
    x.deliveries = XDeliveries(CONSUMER_SECRET, clock=time.time, aaa_subscription_limit=0)
    webhook_id = admin.register_webhook(webhook.address).id
    with pytest.raises(XLimitExceededError, match="SubscriptionLimitExceeded"):
        admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())


def test_aaa_needs_the_account_credentials(admin: XSubscriptions, webhook_id: str) -> None:
    with pytest.raises(ValueError, match="own credentials"):
        admin.subscribe("aaa", webhook_id, ACCOUNT_ID)


@pytest.mark.parametrize("bad", ["", "12a", "1" * 20, "../1"])
def test_ids_that_are_not_numeric_never_reach_x(x: XStandIn, admin: XSubscriptions, bad: str) -> None:
    with pytest.raises(ValueError, match="numeric"):
        admin.unsubscribe("aaa", bad, ACCOUNT_ID)
    with pytest.raises(ValueError, match="numeric"):
        admin.subscribe("xaa", "1", bad)
    assert x.calls == []


# --- X Activity API ---


def test_xaa_subscribes_the_reposts_and_quotes_filtered_to_the_account(admin: XSubscriptions, webhook_id: str) -> None:
    created = admin.subscribe("xaa", webhook_id, ACCOUNT_ID)

    assert sorted(sub.event_type for sub in created) == sorted(XAA_EVENT_TYPES)
    assert {(sub.account_id, sub.webhook_id, sub.tag) for sub in created} == {(ACCOUNT_ID, webhook_id, "takedown")}
    assert all(sub.subscription_id and sub.subscription_id.isdigit() for sub in created)
    assert sorted(admin.subscriptions("xaa", webhook_id), key=lambda s: s.event_type) == sorted(
        created, key=lambda s: s.event_type
    )


def test_xaa_twice_is_a_duplicate_and_only_the_missing_type_is_added(
    x: XStandIn, admin: XSubscriptions, webhook_id: str
) -> None:
    admin.subscribe("xaa", webhook_id, ACCOUNT_ID, event_types=("post.repost.create",))
    added = admin.subscribe("xaa", webhook_id, ACCOUNT_ID)
    assert [sub.event_type for sub in added] == ["post.quote.create"]
    with pytest.raises(XDuplicateError, match="already subscribed"):
        admin.subscribe("xaa", webhook_id, ACCOUNT_ID)
    assert len(admin.subscriptions("xaa")) == 2


def test_xaa_duplicate_created_meanwhile_is_x_conflict(x: XStandIn, http: httpx.Client, webhook_id: str) -> None:
    body = {"event_type": "post.repost.create", "filter": {"user_id": ACCOUNT_ID}, "webhook_id": webhook_id}
    headers = {"Authorization": f"Bearer {APP_BEARER}"}
    assert http.post(f"{x.url}/2/activity/subscriptions", json=body, headers=headers).status_code == 200
    again = http.post(f"{x.url}/2/activity/subscriptions", json=body, headers=headers)
    with pytest.raises(XDuplicateError):
        checked_body(again, action="subscribe", now=NOW, credential="the app's bearer token")


def test_xaa_lists_every_page(x: XStandIn, http: httpx.Client, webhook_id: str) -> None:
    paged = XSubscriptions(http, SecretStr(APP_BEARER), base_url=x.url, page_size=1)
    paged.subscribe("xaa", webhook_id, ACCOUNT_ID)
    paged.subscribe("xaa", webhook_id, "2244994945")

    assert len(paged.subscriptions("xaa")) == 4
    assert sum(1 for call in x.calls if call["path"] == "/2/activity/subscriptions" and call["method"] == "GET") > 4


def test_xaa_unsubscribe_removes_each_type_and_again_is_not_found(admin: XSubscriptions, webhook_id: str) -> None:
    admin.subscribe("xaa", webhook_id, ACCOUNT_ID)
    admin.subscribe("xaa", webhook_id, "2244994945")
    removed = admin.unsubscribe("xaa", webhook_id, ACCOUNT_ID)
    assert sorted(sub.event_type for sub in removed) == sorted(XAA_EVENT_TYPES)
    assert {sub.account_id for sub in admin.subscriptions("xaa")} == {"2244994945"}
    with pytest.raises(XNotFoundError, match="no X Activity subscription"):
        admin.unsubscribe("xaa", webhook_id, ACCOUNT_ID)


def test_xaa_subscription_limit(x: XStandIn, admin: XSubscriptions, webhook: FakeWebhook) -> None:
    x.deliveries = XDeliveries(CONSUMER_SECRET, clock=time.time, xaa_subscription_limit=1)
    webhook_id = admin.register_webhook(webhook.address).id
    with pytest.raises(XLimitExceededError, match="SubscriptionLimitExceeded"):
        admin.subscribe("xaa", webhook_id, ACCOUNT_ID)


def test_deleting_the_webhook_removes_its_subscriptions(admin: XSubscriptions, webhook_id: str) -> None:
    admin.subscribe("xaa", webhook_id, ACCOUNT_ID)
    admin.delete_webhook(webhook_id)
    assert admin.subscriptions("xaa") == []


# --- deliveries and replay ---


def test_activity_is_delivered_signed_to_the_subscribed_webhook_only(
    x: XStandIn, admin: XSubscriptions, webhook: FakeWebhook, webhook_id: str
) -> None:
    assert x.deliveries.record_activity(ENVELOPE) == []  # nobody subscribed yet
    admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    assert x.deliveries.record_activity(ENVELOPE) == [200]
    assert webhook.received == [(ENVELOPE, True)]


def test_replay_redelivers_the_lost_events_of_the_window_then_says_it_is_done(
    x: XStandIn, admin: XSubscriptions, webhook: FakeWebhook, webhook_id: str
) -> None:
    admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    x.deliveries.record_activity(ENVELOPE, delivered=False)
    assert webhook.received == []
    now = datetime.now(UTC)

    job = admin.replay(webhook_id, now - timedelta(hours=1), now)

    assert job.job_id.isdigit() and job.window.to_date == now.strftime("%Y%m%d%H%M")
    received = wait_for(lambda: webhook.received if len(webhook.received) == 2 else None)
    assert received[0] == (ENVELOPE, True)
    assert received[1][0]["replay_job_status"] == {
        "webhook_id": webhook_id, "job_state": "Complete", "job_state_description": "Job completed successfully",
        "job_id": job.job_id,
    }  # fmt: skip
    # The stand-in records a delivery's status once its POST returns, after the webhook has it.
    recorded = wait_for(lambda: x.deliveries.deliveries if len(x.deliveries.deliveries) == 2 else None)
    assert [(d["kind"], d["replay"], d["status"]) for d in recorded] == [
        ("activity", True, 200),
        ("replay_job_status", True, 200),
    ]


def test_replay_leaves_out_events_outside_the_window(
    x: XStandIn, admin: XSubscriptions, webhook: FakeWebhook, webhook_id: str
) -> None:
    admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    x.deliveries.record_activity(ENVELOPE, delivered=False)
    now = datetime.now(UTC)
    admin.replay(webhook_id, now - timedelta(hours=3), now - timedelta(hours=2))
    assert x.deliveries.replays_finished()
    assert [body for body, _ in webhook.received] == [
        {"replay_job_status": webhook.received[0][0]["replay_job_status"]}
    ]


def test_a_second_replay_while_one_runs_is_a_conflict(
    x: XStandIn, admin: XSubscriptions, webhook: FakeWebhook, webhook_id: str
) -> None:
    admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    x.deliveries.record_activity(ENVELOPE, delivered=False)
    webhook.delivery_delay = 1.0
    now = datetime.now(UTC)
    admin.replay(webhook_id, now - timedelta(hours=1), now)
    with pytest.raises(XConflictError) as failure:
        admin.replay(webhook_id, now - timedelta(hours=1), now)
    assert "ReplayConflictError" in one_line(failure.value)
    assert x.deliveries.replays_finished()
    admin.replay(webhook_id, now - timedelta(hours=1), now)  # once it is done, another may start


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (NOW - timedelta(hours=24, minutes=1), NOW, "more than 24 hours ago"),
        (NOW - timedelta(days=3), NOW - timedelta(days=2), "more than 24 hours ago"),
        (NOW - timedelta(hours=1), NOW + timedelta(minutes=2), "in the future"),
        (NOW - timedelta(hours=1), NOW - timedelta(hours=2), "after its end"),
        (datetime(2026, 12, 1, 11, 0), NOW, "time zone"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_a_window_x_would_refuse_is_refused_before_calling_x(
    x: XStandIn, http: httpx.Client, start: datetime, end: datetime, says: str
) -> None:
    admin = XSubscriptions(http, SecretStr(APP_BEARER), base_url=x.url, clock=lambda: NOW)
    with pytest.raises(ReplayWindowError, match=says) as failure:
        admin.replay("1234567890123456789", start, end)
    one_line(failure.value)
    assert x.calls == []


def test_the_window_reaches_exactly_24_hours_back_to_the_minute() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    window = ReplayWindow.checked(now - timedelta(hours=24), now, now)
    assert (window.from_date, window.to_date) == ("202611301200", "202612011200")
    start_seconds_late = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)
    with pytest.raises(ReplayWindowError, match="since 2026-11-30 12:01 UTC"):
        ReplayWindow.checked(start_seconds_late - timedelta(hours=24), start_seconds_late, start_seconds_late)


def test_x_itself_refuses_a_window_older_than_24_hours(x: XStandIn, http: httpx.Client, webhook_id: str) -> None:
    lagging = XSubscriptions(  # a clock two hours slow passes our check; X's own clock refuses
        http, SecretStr(APP_BEARER), base_url=x.url, clock=lambda: datetime.now(UTC) - timedelta(hours=2)
    )
    now = datetime.now(UTC) - timedelta(hours=2)
    with pytest.raises(XRequestRejectedError) as failure:
        lagging.replay(webhook_id, now - timedelta(hours=23), now)
    assert "QueryParamInvalid" in one_line(failure.value) and "older than 24 hours" in str(failure.value)


def test_replay_to_an_unknown_webhook_is_not_found(admin: XSubscriptions, webhook_id: str) -> None:
    now = datetime.now(UTC)
    with pytest.raises(XNotFoundError, match="WebhookIdInvalid"):
        admin.replay("1234567890123456789", now - timedelta(hours=1), now)


def test_concurrent_activity_is_recorded_in_order(x: XStandIn, admin: XSubscriptions, webhook_id: str) -> None:
    admin.subscribe("aaa", webhook_id, ACCOUNT_ID, account())
    threads = [
        threading.Thread(target=x.deliveries.record_activity, args=(ENVELOPE,), kwargs={"delivered": False})
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    now = datetime.now(UTC)
    admin.replay(webhook_id, now - timedelta(minutes=5), now)
    assert x.deliveries.replays_finished()
    assert sum(1 for d in x.deliveries.deliveries if d["kind"] == "activity") == 5
