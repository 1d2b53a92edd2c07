"""The labelled corpora of the judgement: JSON Lines of posts, read into the Repost production reads.

`corpus/train/` teaches the model; `corpus/eval/` only measures it (written apart, never trained or
tuned on). Each line is one post an organisation's account retweeted or quoted, as its author
wrote it (see `corpus/README.md` for the fields). A post is turned into the webhook envelope X
would deliver for it (Account Activity retweet or quote, X Activity repost or quote, in turn) and
read back through the same envelope reader and post contract as production, so training and
evaluation see exactly what inspection sees.

Example:
    posts = load_corpus(Path("corpus/train"))
    reposts = [post.repost(i) for i, post in enumerate(posts)]
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from takedown.repost import Repost
from takedown.webhook import read_delivery

Label = Literal["illegal_stream", "adult", "benign"]
ACCOUNT = {"id_str": "1000000000000000001", "screen_name": "ExampleConstab", "name": "Example Constabulary"}
_SHAPES = ("aaa_retweet", "aaa_quote", "xaa_repost", "xaa_quote")
_POSTED = datetime(2026, 11, 21, 20, 14, 3, tzinfo=UTC)
_V1_TIME = "%a %b %d %H:%M:%S +0000 %Y"
_V1_CUT = 140


class CorpusError(ValueError):
    """A corpus line that is not a labelled post: names the file and line."""


class CorpusAuthor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    handle: str = ""
    bio: str = ""
    followers: int | None = None
    account_age_days: int | None = None
    default_profile: bool = False
    verified: bool = False


class CorpusPost(BaseModel):
    """One labelled post of a corpus file."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: Label
    lang: str
    signal: str = ""
    kind: Literal["retweet", "quote"] = "retweet"
    text: str
    quote_text: str = ""
    urls: list[str] = Field(default_factory=list)
    author: CorpusAuthor = Field(default_factory=CorpusAuthor)
    possibly_sensitive: bool = False
    media: list[Literal["photo", "video", "animated_gif"]] = Field(default_factory=list)
    source: str = ""  # the file it came from (set when loaded)

    @property
    def category(self) -> str | None:
        return None if self.label == "benign" else self.label

    def envelope(self, index: int) -> str:
        """The body X would POST for this post, shaped by `index` (four shapes in turn), `/` escaped."""
        shape = _SHAPES[index % len(_SHAPES)]
        if self.kind == "quote" and shape.endswith(("retweet", "repost")):
            shape = shape.replace("retweet", "quote").replace("repost", "quote")
        elif self.kind == "retweet" and shape.endswith("quote"):
            shape = "aaa_retweet" if shape.startswith("aaa") else "xaa_repost"
        ids = _Ids(index)
        body = self._aaa(shape, ids) if shape.startswith("aaa") else self._xaa(shape, ids)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")

    def repost(self, index: int) -> Repost:
        """The post as inspection sees it, through the production envelope reader."""
        (event,) = read_delivery(self.envelope(index), _POSTED).posts
        return Repost.from_event(event)

    def _created(self) -> datetime | None:
        days = self.author.account_age_days
        return None if days is None else _POSTED - timedelta(days=days)

    def _aaa(self, shape: str, ids: _Ids) -> dict[str, Any]:
        created = self._created()
        media = [{"type": kind, "media_url_https": f"https://pbs.twimg.com/media/m{n}.jpg",
                  "expanded_url": f"https://x.com/{self.author.handle or 'a'}/status/{ids.source}/photo/1"}
                 for n, kind in enumerate(self.media)]  # fmt: skip
        entities: dict[str, Any] = {"urls": _v1_urls(self.urls)}
        original: dict[str, Any] = {
            "id_str": ids.source,
            "created_at": (_POSTED - timedelta(minutes=3)).strftime(_V1_TIME),
            "user": {
                "id_str": ids.author,
                "screen_name": self.author.handle or f"author{ids.author[-4:]}",
                "name": self.author.name,
                "description": self.author.bio,
                "verified": self.author.verified,
                "followers_count": self.author.followers,
                "default_profile_image": self.author.default_profile,
                **({"created_at": created.strftime(_V1_TIME)} if created else {}),
            },
            "possibly_sensitive": self.possibly_sensitive,
            "text": self.text,
            "entities": entities,
        }
        if media:
            original["extended_entities"] = {"media": media}
        if len(self.text) > _V1_CUT:
            original["truncated"] = True
            original["text"] = self.text[:117] + "… https://t.co/more"
            original["entities"] = {"urls": []}
            original["extended_tweet"] = {"full_text": self.text, "entities": entities}
        tweet: dict[str, Any] = {"id_str": ids.post, "created_at": _POSTED.strftime(_V1_TIME), "user": ACCOUNT,
                                 "entities": {"urls": []}}  # fmt: skip
        if shape == "aaa_retweet":
            tweet |= {"retweeted_status": original, "text": f"RT @{original['user']['screen_name']}: {self.text[:100]}"}
        else:
            tweet |= {"is_quote_status": True, "quoted_status_id_str": ids.source, "quoted_status": original,
                      "text": self.quote_text}  # fmt: skip
        return {"for_user_id": ACCOUNT["id_str"], "tweet_create_events": [tweet]}

    def _xaa(self, shape: str, ids: _Ids) -> dict[str, Any]:
        urls = [{"url": f"https://t.co/c{i}", "expanded_url": u} for i, u in enumerate(self.urls)]
        original: dict[str, Any] = {
            "id": ids.source,
            "author_id": ids.author,
            "created_at": (_POSTED - timedelta(minutes=3)).isoformat().replace("+00:00", "Z"),
            "possibly_sensitive": self.possibly_sensitive,
            "text": self.text,
            "entities": {"urls": urls},
        }
        if self.media:
            original["attachments"] = {"media_keys": [f"3_{ids.source}{n}" for n in range(len(self.media))]}
        if len(self.text) > 280:
            original["text"] = self.text[:270] + "…"
            original["note_tweet"] = {"text": self.text, "entities": {"urls": urls}}
        kind = "retweeted" if shape == "xaa_repost" else "quoted"
        created = self._created()
        user = {
            "id": ids.author,
            "username": self.author.handle or f"author{ids.author[-4:]}",
            "name": self.author.name,
            "description": self.author.bio,
            "verified": self.author.verified,
            "public_metrics": {"followers_count": self.author.followers},
            "profile_image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
            if self.author.default_profile
            else f"https://pbs.twimg.com/profile_images/{ids.author}/p_normal.jpg",
            **({"created_at": created.isoformat().replace("+00:00", "Z")} if created else {}),
        }
        payload = {
            "id": ids.post,
            "author_id": ACCOUNT["id_str"],
            "created_at": _POSTED.isoformat().replace("+00:00", "Z"),
            "referenced_tweets": [{"type": kind, "id": ids.source}],
            "text": f"RT @{user['username']}: {self.text[:80]}" if kind == "retweeted" else self.quote_text,
        }
        return {
            "data": {
                "event_type": "post.create",
                "filter": {"user_id": ACCOUNT["id_str"]},
                "payload": payload,
                "includes": {"tweets": [original], "users": [user]},
            }
        }


class _Ids:
    def __init__(self, index: int) -> None:
        self.source = str(4_000_000_000_000_000_000 + index)
        self.post = str(5_000_000_000_000_000_000 + index)
        self.author = str(6_000_000_000_000_000_000 + index)


def _v1_urls(urls: list[str]) -> list[dict[str, Any]]:
    return [{"url": f"https://t.co/c{i}", "expanded_url": u, "display_url": u[:20], "indices": [0, 23]}
            for i, u in enumerate(urls)]  # fmt: skip


def load_corpus(*roots: Path) -> list[CorpusPost]:
    """Every post in the `*.jsonl` files under `roots`, in file order; CorpusError on a bad line."""
    posts: list[CorpusPost] = []
    seen: set[str] = set()
    for path in _files(roots):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                post = CorpusPost.model_validate_json(line)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "line"
                raise CorpusError(f"{path}:{number}: {where}: {first['msg']}") from None
            if post.id in seen:
                raise CorpusError(f"{path}:{number}: id {post.id} appears twice")
            seen.add(post.id)
            posts.append(post.model_copy(update={"source": _source(path)}))
    return posts


def _source(path: Path) -> str:
    """A file's source: its name without a part number ("uk_03.jsonl" is part of "uk")."""
    stem, _, part = path.stem.rpartition("_")
    return stem if stem and part.isdigit() else path.stem


def _files(roots: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(sorted(root.glob("*.jsonl")))
        else:
            raise CorpusError(f"{root}: no such corpus file or folder")
    return found
