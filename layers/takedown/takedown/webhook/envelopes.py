"""Read the two webhook envelopes X sends into `PostEvent`s.

- Account Activity API (AAA): `{"for_user_id": "...", "tweet_create_events": [<v1.1 tweet>, ...]}`
  plus other event kinds (favorite_events, follow_events, tweet_delete_events, direct messages...)
  that carry no new post and are ignored.
- X Activity API (XAA): `{"data": {"event_type": "post.create", "filter": {"user_id": "..."},
  "payload": <v2 post>, "includes": {...}}}`; other event types (post.delete, oauth.revoke...)
  carry no new post.

A *candidate* is a post BY the subscribed account that retweets or quotes another post: the only
thing Takedown may ever undo. Someone else retweeting the account is delivered too (the account is
"involved"), and is not a candidate.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from takedown.evidence import RawSource
from takedown.post import Api, FoundBy, PostKind, business_key, is_candidate
from takedown.webhook.exceptions import MalformedDeliveryError

# XAA event types that announce a new post by (or involving) the filtered user.
XAA_POST_EVENT_TYPES = frozenset({"post.create", "post.repost.create", "post.quote.create"})


class PostEvent(BaseModel):
    """One new post delivered for a subscribed account, exactly as X described it.

    `post` is the raw post object (a v1.1 tweet for AAA, a v2 post for XAA and for the sweep) and
    `includes` the v2 expansions (referenced posts and users); inspection normalises both into one
    model. `found_by` says which path brought it: the inspection ledger lets only the first act.
    """

    model_config = ConfigDict(frozen=True)

    api: Api
    account_id: str
    post_id: str
    author_id: str
    kind: PostKind
    referenced_post_id: str | None = None
    # The bytes it was read from, already in the evidence bucket (takedown.evidence): the webhook
    # delivery and its signature, or X's API answer for a post the sweep found.
    raw_source: RawSource | None = None
    received_at: datetime
    post: dict[str, Any]
    includes: dict[str, Any] | None = None
    found_by: FoundBy = "webhook"

    @property
    def by_account(self) -> bool:
        """The subscribed account wrote this post (it was not someone else retweeting the account)."""
        return self.author_id == self.account_id

    @property
    def is_candidate(self) -> bool:
        """A repost or quote made BY the subscribed account: the only thing Takedown may undo."""
        return is_candidate(self.kind, self.by_account)

    @property
    def business_key(self) -> str:
        """One inspection per (account, post), however often X or SQS deliver it."""
        return business_key(self.account_id, self.post_id)


class Delivery(BaseModel):
    """What one webhook POST carried: every new post in it, in order."""

    model_config = ConfigDict(frozen=True)

    api: Api
    account_id: str
    event_kinds: tuple[str, ...]
    posts: tuple[PostEvent, ...]

    @property
    def candidates(self) -> tuple[PostEvent, ...]:
        return tuple(post for post in self.posts if post.is_candidate)


def read_delivery(body: bytes | str, received_at: datetime) -> Delivery:
    """Parse a webhook body; raise MalformedDeliveryError with a precise reason when it can't be read."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedDeliveryError(f"body is not JSON: {exc.__class__.__name__} at {_where(exc)}") from None
    except RecursionError:  # X's envelopes are a few levels deep; thousands of brackets are not one
        raise MalformedDeliveryError("body is nested too deeply to be a delivery") from None
    if _holds_lone_surrogate(envelope):
        raise MalformedDeliveryError("body escapes a lone surrogate (\\ud800-\\udfff): not Unicode text")
    if not isinstance(envelope, dict):
        raise MalformedDeliveryError(f"envelope is a JSON {type(envelope).__name__}, not an object")
    if "for_user_id" in envelope:
        return _read_account_activity(envelope, received_at)
    if isinstance(envelope.get("user_event"), dict):  # app revoked: AAA sends it without for_user_id
        source = envelope["user_event"].get("revoke", {}).get("source", {})
        account_id = str(source.get("user_id", "")) if isinstance(source, dict) else ""
        return Delivery(api="account_activity", account_id=account_id, event_kinds=("user_event",), posts=())
    if isinstance(envelope.get("replay_job_status"), dict):  # X's word that a replay job ended
        return Delivery(api="account_activity", account_id="", event_kinds=("replay_job_status",), posts=())
    if isinstance(envelope.get("data"), dict) and "event_type" in envelope["data"]:
        return _read_x_activity(envelope["data"], received_at)
    raise MalformedDeliveryError("envelope is neither Account Activity (for_user_id) nor X Activity (data.event_type)")


def _holds_lone_surrogate(value: Any) -> bool:
    """JSON may escape half of a UTF-16 pair ("\\udc44"); such a string is not text and cannot be
    encoded again (the inspect queue's message would fail). Walked without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _read_account_activity(envelope: dict[str, Any], received_at: datetime) -> Delivery:
    account_id = _id(envelope.get("for_user_id"), "for_user_id")
    events = envelope.get("tweet_create_events", [])
    if not isinstance(events, list):
        raise MalformedDeliveryError("tweet_create_events is not a list")
    posts = tuple(
        _aaa_post(tweet, account_id, received_at, f"tweet_create_events[{index}]") for index, tweet in enumerate(events)
    )
    kinds = tuple(key for key in envelope if key.endswith("_events") or key == "user_event")
    return Delivery(api="account_activity", account_id=account_id, event_kinds=kinds, posts=posts)


def _aaa_post(tweet: Any, account_id: str, received_at: datetime, where: str) -> PostEvent:
    if not isinstance(tweet, dict):
        raise MalformedDeliveryError(f"{where} is not an object")
    user = tweet.get("user")
    if not isinstance(user, dict):
        raise MalformedDeliveryError(f"{where}.user is missing")
    retweeted = tweet.get("retweeted_status")
    quoted = tweet.get("quoted_status")
    if isinstance(retweeted, dict):
        kind: PostKind = "retweet"
        referenced = _id(retweeted.get("id_str"), f"{where}.retweeted_status.id_str")
    elif tweet.get("is_quote_status") and (isinstance(quoted, dict) or tweet.get("quoted_status_id_str")):
        kind = "quote"
        referenced = _id(
            quoted.get("id_str") if isinstance(quoted, dict) else tweet.get("quoted_status_id_str"),
            f"{where}.quoted_status.id_str",
        )
    else:
        kind, referenced = "post", None
    return PostEvent(
        api="account_activity",
        account_id=account_id,
        post_id=_id(tweet.get("id_str"), f"{where}.id_str"),
        author_id=_id(user.get("id_str"), f"{where}.user.id_str"),
        kind=kind,
        referenced_post_id=referenced,
        received_at=received_at,
        post=tweet,
    )


def _read_x_activity(data: dict[str, Any], received_at: datetime) -> Delivery:
    event_type = data["event_type"]
    if not isinstance(event_type, str):
        raise MalformedDeliveryError("data.event_type is not a string")
    filter_: dict[str, Any] = data["filter"] if isinstance(data.get("filter"), dict) else {}
    payload = data.get("payload")
    if event_type not in XAA_POST_EVENT_TYPES:
        account_id = str(filter_.get("user_id") or (payload or {}).get("user_id") or "")
        return Delivery(api="x_activity", account_id=account_id, event_kinds=(event_type,), posts=())
    account_id = _id(filter_.get("user_id"), "data.filter.user_id")
    includes: dict[str, Any] = data["includes"] if isinstance(data.get("includes"), dict) else {}
    post = read_v2_post(payload, includes, account_id, received_at, where="data.payload")
    return Delivery(api="x_activity", account_id=account_id, event_kinds=(event_type,), posts=(post,))


def read_v2_post(
    payload: Any,
    includes: dict[str, Any],
    account_id: str,
    received_at: datetime,
    *,
    found_by: FoundBy = "webhook",
    where: str,
) -> PostEvent:
    """One v2 post (an XAA `post.create` payload, or an item of `GET /2/users/{id}/tweets`) with its
    expansions; `where` names it in errors. A repost is found by its `referenced_tweets`."""
    if not isinstance(payload, dict):
        raise MalformedDeliveryError(f"{where} is not an object")
    kind: PostKind = "post"
    referenced: str | None = None
    for reference in payload.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") in ("retweeted", "quoted"):
            kind = "retweet" if reference["type"] == "retweeted" else "quote"
            referenced = _id(reference.get("id"), f"{where}.referenced_tweets[].id")
            break
    return PostEvent(
        api="x_activity",
        account_id=account_id,
        post_id=_id(payload.get("id"), f"{where}.id"),
        author_id=_id(payload.get("author_id"), f"{where}.author_id"),
        kind=kind,
        referenced_post_id=referenced,
        received_at=received_at,
        post=payload,
        includes=includes,
        found_by=found_by,
    )


def _id(value: Any, where: str) -> str:
    """X ids are decimal strings (`id_str`); numbers lose precision in JavaScript and are refused."""
    if isinstance(value, str) and value.isdecimal():
        return value
    raise MalformedDeliveryError(f"{where} is missing or not a decimal id string")


def _where(exc: Exception) -> str:
    position = getattr(exc, "pos", None)
    return f"byte {position}" if position is not None else "decode"
