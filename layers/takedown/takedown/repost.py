"""One normalised model of an inspected post, whichever API delivered it.

Account Activity API v1.1 tweets and X Activity API v2 posts hide the same facts in different
places: the retweeted or quoted original, its long text (`extended_tweet.full_text`,
`note_tweet.text`), links in root, extended and media entities and in the quoted post, the
original author's profile. `Repost.from_event` gathers them so that the signature engine reads
one shape.

Example:
    repost = Repost.from_event(event)
    undo_id = repost.source_post_id if repost.kind == "retweet" else repost.post_id
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from takedown.post import PostKind, business_key, is_candidate
from takedown.webhook.envelopes import PostEvent

_V1_TIME = "%a %b %d %H:%M:%S %z %Y"
_TAG = re.compile(r"<[^>]*>")
Json = dict[str, Any]


class Author(BaseModel):
    """The profile of the original post's author, as X delivered it with the post."""

    model_config = ConfigDict(frozen=True)

    id: str | None = None
    handle: str | None = None
    name: str = ""
    bio: str = ""
    verified: bool = False
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    created_at: datetime | None = None  # when the account was opened: spam accounts are often days old
    default_profile: bool = False  # never set a picture or theme (v1.1 flags; v2's default image URL)

    @property
    def profile(self) -> str:
        """The display name and the bio as one text, read by the rules and the model alike (the blank
        line keeps letters spaced out in one from joining the other's)."""
        return f"{self.name}\n\n{self.bio}"


class Repost(BaseModel):
    """The post the subscribed account made, and the original it retweeted or quoted.

    `post_id` is the account's own post (the retweet or the quote); `source_post_id` is the
    original, which is what an unretweet takes (for a plain post, the post itself). `text` is
    everything there is to read: the original's full text, the quoted post's, and for a quote the
    account's own words. `urls` are expanded (and, where X unwound them, final) URLs from every
    entity block, in order, without repeats.
    """

    model_config = ConfigDict(frozen=True)

    account_id: str
    post_id: str
    kind: PostKind
    by_account: bool
    source_post_id: str
    source_author: Author | None = None
    posted_at: datetime | None = None
    text: str = ""
    urls: tuple[str, ...] = ()
    has_media: bool = False
    possibly_sensitive: bool = False
    source_app: str = ""
    lang: str | None = None

    @property
    def is_candidate(self) -> bool:
        """A retweet or quote BY the subscribed account: the only thing Takedown may undo."""
        return is_candidate(self.kind, self.by_account)

    @property
    def business_key(self) -> str:
        return business_key(self.account_id, self.post_id)

    @property
    def source_post_url(self) -> str:
        """The original on X, by its author's handle when known."""
        if self.source_author and self.source_author.handle:
            return f"https://x.com/{self.source_author.handle}/status/{self.source_post_id}"
        return f"https://x.com/i/web/status/{self.source_post_id}"

    @classmethod
    def from_event(cls, event: PostEvent) -> Repost:
        """Normalise an Account Activity (v1.1) or X Activity (v2) post event."""
        if event.api == "account_activity":
            return _from_v1(event)
        return _from_v2(event)


def _from_v1(event: PostEvent) -> Repost:
    tweet = event.post
    original = _object(tweet.get("retweeted_status") if event.kind == "retweet" else tweet.get("quoted_status"))
    nested = _object(original.get("quoted_status"))
    # A retweet's own text is "RT @author: " and a truncated copy of the original: read the original.
    readable = [original, nested] if event.kind == "retweet" else [tweet, original, nested]
    inspected = [part for part in (tweet, original, nested) if part]
    user = _object(original.get("user"))
    subject = original or tweet
    return Repost(
        account_id=event.account_id,
        post_id=event.post_id,
        kind=event.kind,
        by_account=event.by_account,
        source_post_id=event.referenced_post_id or event.post_id,
        source_author=_v1_author(user) if user else None,
        posted_at=_time(tweet.get("created_at")),
        text="\n".join(filter(None, (_v1_text(part) for part in readable if part))),
        urls=tuple(dict.fromkeys(url for part in inspected for url in _v1_urls(part))),
        has_media=any(_v1_media(part) for part in inspected),
        possibly_sensitive=any(bool(part.get("possibly_sensitive")) for part in inspected),
        source_app=_app_name(subject.get("source")),
        lang=subject.get("lang") or tweet.get("lang"),
    )


def _v1_author(user: Json) -> Author:
    return Author(
        id=user.get("id_str"),
        handle=user.get("screen_name"),
        name=user.get("name") or "",
        bio=user.get("description") or "",
        verified=bool(user.get("verified") or user.get("verified_type")),
        followers=user.get("followers_count"),
        following=user.get("friends_count"),
        posts=user.get("statuses_count"),
        created_at=_time(user.get("created_at")),
        default_profile=bool(user.get("default_profile_image")),
    )


def _v1_text(tweet: Json) -> str:
    extended = _object(tweet.get("extended_tweet"))
    return str(extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or "")


def _v1_entity_blocks(tweet: Json) -> list[Json]:
    extended = _object(tweet.get("extended_tweet"))
    blocks = (
        tweet.get("entities"),
        extended.get("entities"),
        tweet.get("extended_entities"),
        extended.get("extended_entities"),
    )
    return [block for block in blocks if isinstance(block, dict)]


def _v1_urls(tweet: Json) -> list[str]:
    found: list[str] = []
    for block in _v1_entity_blocks(tweet):
        for url in [*(block.get("urls") or []), *(block.get("media") or [])]:
            if not isinstance(url, dict):
                continue
            unwound = _object(url.get("unwound")).get("url")  # enterprise payloads resolve redirects
            found.extend(candidate for candidate in (url.get("expanded_url"), unwound) if isinstance(candidate, str))
    return found


def _v1_media(tweet: Json) -> bool:
    return any(block.get("media") for block in _v1_entity_blocks(tweet))


def _from_v2(event: PostEvent) -> Repost:
    post, includes = event.post, event.includes or {}
    posts = {p.get("id"): p for p in includes.get("tweets") or [] if isinstance(p, dict)}
    users = {u.get("id"): u for u in includes.get("users") or [] if isinstance(u, dict)}
    original = _object(posts.get(event.referenced_post_id)) if event.referenced_post_id else {}
    nested = _object(posts.get(_v2_quoted_id(original)))
    # A quote's own words count; a retweet whose expansion is missing has only its "RT @x: ..." text.
    readable = [original, nested] if event.kind == "retweet" and original else [post, original, nested]
    inspected = [part for part in (post, original, nested) if part]
    user = _object(users.get(original.get("author_id"))) if original else {}
    subject = original or post
    return Repost(
        account_id=event.account_id,
        post_id=event.post_id,
        kind=event.kind,
        by_account=event.by_account,
        source_post_id=event.referenced_post_id or event.post_id,
        source_author=_v2_author(user) if user else None,
        posted_at=_time(post.get("created_at")),
        text="\n".join(filter(None, (_v2_text(part) for part in readable if part))),
        urls=tuple(dict.fromkeys(url for part in inspected for url in _v2_urls(part))),
        has_media=any(_object(part.get("attachments")).get("media_keys") for part in inspected),
        possibly_sensitive=any(bool(part.get("possibly_sensitive")) for part in inspected),
        source_app=str(subject.get("source") or ""),
        lang=subject.get("lang") or post.get("lang"),
    )


def _v2_author(user: Json) -> Author:
    metrics = _object(user.get("public_metrics"))
    verified_type = user.get("verified_type")
    return Author(
        id=user.get("id"),
        handle=user.get("username"),
        name=user.get("name") or "",
        bio=user.get("description") or "",
        verified=bool(user.get("verified") or (verified_type and verified_type != "none")),
        followers=metrics.get("followers_count"),
        following=metrics.get("following_count"),
        posts=metrics.get("tweet_count"),
        created_at=_time(user.get("created_at")),
        default_profile="default_profile_images" in str(user.get("profile_image_url") or ""),
    )


def _v2_quoted_id(post: Json) -> str | None:
    for reference in post.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "quoted":
            return reference.get("id")
    return None


def _v2_text(post: Json) -> str:
    return str(_object(post.get("note_tweet")).get("text") or post.get("text") or "")


def _v2_urls(post: Json) -> list[str]:
    found: list[str] = []
    for entities in (post.get("entities"), _object(post.get("note_tweet")).get("entities")):
        for url in _object(entities).get("urls") or []:
            if isinstance(url, dict):
                found.extend(
                    candidate
                    for candidate in (url.get("expanded_url"), url.get("unwound_url"))
                    if isinstance(candidate, str)
                )
    return found


def _object(value: Any) -> Json:
    """`value` when it is a JSON object, else an empty one: X omits or nulls whole blocks freely."""
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> datetime | None:
    """v1.1 "Fri Jan 15 06:38:38 +0000 2021" or v2 ISO 8601; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    for parse in (lambda v: datetime.strptime(v, _V1_TIME), datetime.fromisoformat):
        try:
            return parse(value)
        except ValueError:
            continue
    return None


def _app_name(source: Any) -> str:
    """v1.1 `source` is an HTML anchor (`<a href=...>Twitter for iPhone</a>`): keep the app's name."""
    return _TAG.sub("", source).strip() if isinstance(source, str) else ""
