"""The X stand-in's timelines: each user's own posts, and `GET /2/users/{id}/tweets` over them.

It answers as X documents the endpoint (docs.x.com "User Posts timeline"; the OpenAPI spec's
parameters, with X's wire names `tweet.fields`, `referenced_tweets`, `includes.tweets`):

- newest first; `since_id` / `until_id` (exclusive) and `start_time` / `end_time` (RFC 3339);
  `exclude=retweets,replies`; `max_results` 5-100 (default 10); `pagination_token` from the
  previous page's `meta.next_token`; `meta` with `result_count`, `newest_id`, `oldest_id`;
- only the fields asked for: a post is `id`, `text` and `edit_history_tweet_ids` unless
  `tweet.fields` names more, a user `id`, `name` and `username` unless `user.fields` does;
  `includes.tweets` (`expansions=referenced_tweets.id`) and `includes.users` (`author_id`,
  `referenced_tweets.id.author_id`) only when expanded; an unknown field, expansion or a bad
  parameter is 400 with X's invalid-request problem, naming it;
- an undone retweet or a deleted post is gone from its author's timeline, as on X.

Posts are seeded with `publish` (a complete v2 post with the posts it references and their
authors); `XStandIn.publish` also makes a retweet one its author can undo and a quote one it can
delete. Not locked itself: the stand-in calls it under its own lock.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

DEFAULT_MAX_RESULTS, MIN_RESULTS, MAX_RESULTS = 10, 5, 100
DEFAULT_POST_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
POST_FIELDS = frozenset(
    {"article", "attachments", "author_id", "card_uri", "community_id", "context_annotations", "conversation_id",
     "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id",
     "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics", "note_tweet", "organic_metrics",
     "paid_partnership", "possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets",
     "reply_settings", "scopes", "source", "text", "withheld"}
)  # fmt: skip
USER_FIELDS = frozenset(
    {"affiliation", "connection_status", "created_at", "description", "entities", "id", "location",
     "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url", "profile_image_url", "protected",
     "public_metrics", "receives_your_dm", "subscription_type", "url", "username", "verified",
     "verified_followers_count", "verified_type", "withheld"}
)  # fmt: skip
EXPANSIONS = frozenset(
    {"attachments.media_keys", "attachments.poll_ids", "author_id", "edit_history_tweet_ids",
     "entities.mentions.username", "geo.place_id", "in_reply_to_user_id", "referenced_tweets.id",
     "referenced_tweets.id.author_id"}
)  # fmt: skip
_LISTS = {"tweet.fields": POST_FIELDS, "user.fields": USER_FIELDS, "expansions": EXPANSIONS}
_KNOWN_PARAMETERS = frozenset(
    {"max_results", "pagination_token", "since_id", "until_id", "start_time", "end_time", "exclude",
     "tweet.fields", "user.fields", "expansions", "media.fields", "poll.fields", "place.fields"}
)  # fmt: skip
_ID = re.compile(r"^[0-9]{1,19}$")

type Answer = tuple[int, dict[str, Any]]


class TimelineRequestError(ValueError):
    """A parameter X would refuse: its name and value, for X's invalid-request problem."""

    def __init__(self, parameter: str, value: str) -> None:
        super().__init__(parameter)
        self.parameter, self.value = parameter, value


class XTimelines:
    def __init__(self) -> None:
        self._posts: dict[str, dict[str, Any]] = {}  # every post X knows, by id: the timelines and what they reference
        self._timelines: dict[str, set[str]] = {}  # user id -> ids of the posts it made
        self._users: dict[str, dict[str, Any]] = {}

    def publish(
        self,
        post: Mapping[str, Any],
        referenced: Iterable[Mapping[str, Any]] = (),
        users: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Make `post` (a v2 post with `id`, `author_id` and every field) one of its author's posts."""
        if not _ID.fullmatch(str(post.get("id", ""))) or not _ID.fullmatch(str(post.get("author_id", ""))):
            raise ValueError("a post needs a numeric id and author_id")
        for other in referenced:
            self._posts[str(other["id"])] = dict(other)
        for user in users:
            self._users[str(user["id"])] = dict(user)
        self._posts[str(post["id"])] = dict(post)
        self._timelines.setdefault(str(post["author_id"]), set()).add(str(post["id"]))

    def remove(self, post_id: str) -> None:
        """The post was deleted on X: gone from its author's timeline."""
        for posts in self._timelines.values():
            posts.discard(post_id)

    def unretweet(self, user_id: str, source_post_id: str) -> None:
        """The user undid its retweet of `source_post_id`: X deletes the retweet post itself."""
        posts = self._timelines.get(user_id, set())
        for post_id in [p for p in posts if _referenced(self._posts[p], "retweeted") == source_post_id]:
            posts.discard(post_id)

    def reset(self) -> None:
        self._posts.clear()
        self._timelines.clear()
        self._users.clear()

    def user_posts(self, user_id: str, query: Mapping[str, str]) -> Answer:
        """The answer to GET /2/users/{user_id}/tweets?<query>."""
        try:
            page = self._page(user_id, query)
        except TimelineRequestError as error:
            return 400, _invalid_request(error.parameter, error.value)
        return 200, page

    def _page(self, user_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        for name in query:
            if name not in _KNOWN_PARAMETERS:
                raise TimelineRequestError(name, query[name])
        fields = {name: _list(query, name) for name in _LISTS}
        size = _max_results(query.get("max_results"))
        since, until = _id(query, "since_id"), _id(query, "until_id")
        start, end = _time(query, "start_time"), _time(query, "end_time")
        exclude = _list(query, "exclude", frozenset({"retweets", "replies"}))
        before = _token(query.get("pagination_token"))
        matching = []
        for post_id in sorted(self._timelines.get(user_id, ()), key=int, reverse=True):
            post = self._posts[post_id]
            made = datetime.fromisoformat(post["created_at"]) if post.get("created_at") else None
            if (
                (since is not None and int(post_id) <= since)
                or (until is not None and int(post_id) >= until)
                or (before is not None and int(post_id) >= before)
                or (start is not None and made is not None and made < start)
                or (end is not None and made is not None and made > end)
                or ("retweets" in exclude and _referenced(post, "retweeted"))
                or ("replies" in exclude and _referenced(post, "replied_to"))
            ):
                continue
            matching.append(post)
        page, more = matching[:size], len(matching) > size
        meta: dict[str, Any] = {"result_count": len(page)}
        if not page:
            return {"meta": meta}
        meta |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if more:
            meta["next_token"] = _encode_token(int(page[-1]["id"]))
        answer: dict[str, Any] = {"data": [_only(post, fields["tweet.fields"], DEFAULT_POST_FIELDS) for post in page]}
        includes = self._includes(page, fields["expansions"], fields)
        if includes:
            answer["includes"] = includes
        answer["meta"] = meta
        return answer

    def _includes(
        self, page: list[dict[str, Any]], expansions: frozenset[str], fields: dict[str, frozenset[str]]
    ) -> dict[str, Any]:
        referenced = []
        if "referenced_tweets.id" in expansions or "referenced_tweets.id.author_id" in expansions:
            ids = dict.fromkeys(ref["id"] for post in page for ref in post.get("referenced_tweets") or [])
            referenced = [self._posts[i] for i in ids if i in self._posts]
        user_ids: dict[str, None] = {}
        if "author_id" in expansions:
            user_ids |= dict.fromkeys(post["author_id"] for post in page)
        if "referenced_tweets.id.author_id" in expansions:
            user_ids |= dict.fromkeys(post["author_id"] for post in referenced if post.get("author_id"))
        includes: dict[str, Any] = {}
        if referenced and "referenced_tweets.id" in expansions:
            includes["tweets"] = [_only(post, fields["tweet.fields"], DEFAULT_POST_FIELDS) for post in referenced]
        users = [self._users[i] for i in user_ids if i in self._users]
        if users:
            includes["users"] = [_only(user, fields["user.fields"], DEFAULT_USER_FIELDS) for user in users]
        return includes


def _referenced(post: Mapping[str, Any], kind: str) -> str | None:
    for reference in post.get("referenced_tweets") or []:
        if reference.get("type") == kind:
            return str(reference["id"])
    return None


def _only(item: Mapping[str, Any], asked: frozenset[str], defaults: tuple[str, ...]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name in defaults or name in asked}


def _list(query: Mapping[str, str], name: str, allowed: frozenset[str] | None = None) -> frozenset[str]:
    value = query.get(name)
    if value is None:
        return frozenset()
    items = value.split(",")
    for item in items:
        if item not in (allowed if allowed is not None else _LISTS[name]):
            raise TimelineRequestError(name, item)
    return frozenset(items)


def _max_results(value: str | None) -> int:
    if value is None:
        return DEFAULT_MAX_RESULTS
    if not value.isdecimal() or not MIN_RESULTS <= int(value) <= MAX_RESULTS:
        raise TimelineRequestError("max_results", value)
    return int(value)


def _id(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    if not _ID.fullmatch(value):
        raise TimelineRequestError(name, value)
    return int(value)


def _time(query: Mapping[str, str], name: str) -> datetime | None:
    value = query.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise TimelineRequestError(name, value) from None
    if parsed.tzinfo is None:
        raise TimelineRequestError(name, value)
    return parsed


def _encode_token(before_id: int) -> str:
    """An opaque base32hex token, as X's are: the page that follows starts below this id."""
    return base64.b32hexencode(str(before_id).encode()).decode().rstrip("=").lower()


def _token(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        decoded = base64.b32hexdecode(value.upper() + "=" * (-len(value) % 8)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise TimelineRequestError("pagination_token", value) from None
    if not _ID.fullmatch(decoded):
        raise TimelineRequestError("pagination_token", value)
    return int(decoded)


def _invalid_request(parameter: str, value: str) -> dict[str, Any]:
    message = f"The `{parameter}` query parameter value [{value}] is not valid"
    return {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.x.com/2/problems/invalid-request",
    }
