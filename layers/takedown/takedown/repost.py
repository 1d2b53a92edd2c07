"""One normalised model of an inspected post, whichever API delivered it.

Account Activity API v1.1 tweets and X Activity API v2 posts hide the same facts in different
places: the retweeted or quoted original, its long text (`extended_tweet.full_text`,
`note_tweet.text`), links in root, extended and media entities, the original author's profile.
`Repost.from_event` gathers them so that the signature engine reads one shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from takedown.webhook.envelopes import PostEvent

_V1_TIME = "%a %b %d %H:%M:%S %z %Y"


class Author(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str | None = None
    handle: str | None = None
    name: str = ""
    bio: str = ""
    verified: bool = False
    followers: int | None = None
    following: int | None = None

    @classmethod
    def from_v1(cls, user: Any) -> Author | None:
        """From a v1.1 user object."""
        if not isinstance(user, dict) or not user:
            return None
        return cls(
            id=user.get("id_str"), handle=user.get("screen_name"), name=user.get("name") or "",
            bio=user.get("description") or "", verified=bool(user.get("verified")),
            followers=user.get("followers_count"), following=user.get("friends_count"),
        )  # fmt: skip

    @classmethod
    def from_v2(cls, user: Any) -> Author | None:
        """From a v2 user (X Activity API `includes.users`)."""
        if not isinstance(user, dict) or not user:
            return None
        metrics = user.get("public_metrics") or {}
        return cls(
            id=user.get("id"), handle=user.get("username"), name=user.get("name") or "",
            bio=user.get("description") or "", verified=bool(user.get("verified")),
            followers=metrics.get("followers_count"), following=metrics.get("following_count"),
        )  # fmt: skip


class Repost(BaseModel):
    """The post the subscribed account made, and the original it retweeted or quoted."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    post_id: str  # the account's own post (the retweet or quote)
    kind: Literal["retweet", "quote", "post"]
    by_account: bool
    source_post_id: str  # the ORIGINAL: what unretweet takes
    source_author: Author | None = None
    posted_at: datetime | None = None
    text: str = ""  # everything inspected: the account's own words and the original's full text
    urls: tuple[str, ...] = ()
    possibly_sensitive: bool = False
    source_app: str = ""
    lang: str | None = None

    @property
    def source_post_url(self) -> str:
        if self.source_author and self.source_author.handle:
            return f"https://x.com/{self.source_author.handle}/status/{self.source_post_id}"
        return f"https://x.com/i/web/status/{self.source_post_id}"

    @classmethod
    def from_event(cls, event: PostEvent) -> Repost:
        if event.api == "account_activity":
            return _from_v1(event)
        return _from_v2(event)


def _from_v1(event: PostEvent) -> Repost:
    tweet = event.post
    original = tweet.get("retweeted_status") if event.kind == "retweet" else tweet.get("quoted_status")
    original = original if isinstance(original, dict) else {}
    texts, urls = [], []
    for part in (tweet, original, original.get("quoted_status") or {}):
        if part:
            texts.append(_v1_text(part))
            urls.extend(_v1_urls(part))
    if event.kind == "retweet":
        texts = texts[1:]  # "RT @x: ..." repeats the original, truncated
    author = Author.from_v1(original.get("user"))
    return _assemble(event, tweet, original, author, _v1_time(tweet.get("created_at")), texts, urls)


def _v1_text(tweet: dict[str, Any]) -> str:
    extended = tweet.get("extended_tweet") or {}
    return str(extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or "")


def _v1_urls(tweet: dict[str, Any]) -> list[str]:
    extended = tweet.get("extended_tweet") or {}
    found = []
    for entities in (
        tweet.get("entities"),
        extended.get("entities"),
        tweet.get("extended_entities"),
        extended.get("extended_entities"),
    ):
        if not isinstance(entities, dict):
            continue
        for url in [*(entities.get("urls") or []), *(entities.get("media") or [])]:
            expanded = url.get("unwound", {}).get("url") if isinstance(url.get("unwound"), dict) else None
            for candidate in (expanded, url.get("expanded_url")):
                if candidate:
                    found.append(candidate)
    return found


def _v1_time(value: Any) -> datetime | None:
    try:
        return datetime.strptime(value, _V1_TIME) if isinstance(value, str) else None
    except ValueError:
        return None


def _from_v2(event: PostEvent) -> Repost:
    post, includes = event.post, event.includes or {}
    tweets = {t.get("id"): t for t in includes.get("tweets") or [] if isinstance(t, dict)}
    users = {u.get("id"): u for u in includes.get("users") or [] if isinstance(u, dict)}
    original = tweets.get(event.referenced_post_id) or {} if event.referenced_post_id else {}
    parts = [original] if event.kind == "retweet" else [post, original]
    texts = [_v2_text(p) for p in parts if p]
    urls = [u for p in (post, original) if p for u in _v2_urls(p)]
    if event.kind == "retweet" and not original:
        texts = [_v2_text(post)]  # the expansion is missing: the "RT @x: ..." text is all there is
    author = Author.from_v2(users.get(original.get("author_id")))
    return _assemble(event, post, original, author, _v2_time(post.get("created_at")), texts, urls)


def _assemble(
    event: PostEvent,
    post: dict[str, Any],
    original: dict[str, Any],
    author: Author | None,
    posted_at: datetime | None,
    texts: list[str],
    urls: list[str],
) -> Repost:
    """The one place a Repost is built, whichever API delivered the post."""
    return Repost(
        account_id=event.account_id,
        post_id=event.post_id,
        kind=event.kind,
        by_account=event.author_id == event.account_id,
        source_post_id=event.referenced_post_id or event.post_id,
        source_author=author,
        posted_at=posted_at,
        text="\n".join(t for t in texts if t),
        urls=tuple(dict.fromkeys(urls)),
        possibly_sensitive=bool(post.get("possibly_sensitive") or original.get("possibly_sensitive")),
        source_app=str(original.get("source") or post.get("source") or ""),
        lang=original.get("lang") or post.get("lang"),
    )


def _v2_text(post: dict[str, Any]) -> str:
    note = post.get("note_tweet") or {}
    return str(note.get("text") or post.get("text") or "")


def _v2_urls(post: dict[str, Any]) -> list[str]:
    found = []
    for entities in (post.get("entities"), (post.get("note_tweet") or {}).get("entities")):
        for url in (entities or {}).get("urls") or []:
            for candidate in (url.get("unwound_url"), url.get("expanded_url")):
                if candidate:
                    found.append(candidate)
    return found


def _v2_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
