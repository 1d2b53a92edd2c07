"""Turn a labelled corpus case into the webhook envelope X would deliver for it.

Cases rotate through the four shapes Takedown receives: an Account Activity retweet, an Account
Activity quote, an X Activity repost and an X Activity quote. A case marked `extended` puts its
text past the 140-character cut, so the signals sit only in `extended_tweet.full_text`.
"""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = {"id_str": "1000000000000000001", "screen_name": "ExampleConstab", "name": "Example Constabulary"}
SHAPES = ("aaa_retweet", "aaa_quote", "xaa_repost", "xaa_quote")


def envelope(case: dict[str, Any], index: int) -> str:
    """The JSON line X would POST for corpus case number `index`."""
    shape = SHAPES[index % len(SHAPES)]
    source_id, post_id = str(4_000_000_000_000_000_000 + index), str(5_000_000_000_000_000_000 + index)
    author_id = str(6_000_000_000_000_000_000 + index)
    if shape.startswith("aaa"):
        body = _aaa(case, shape, source_id, post_id, author_id)
    else:
        body = _xaa(case, shape, source_id, post_id, author_id)
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/")


def _v1_urls(urls: list[str]) -> list[dict[str, Any]]:
    return [{"url": f"https://t.co/c{i}", "expanded_url": u, "display_url": u[:20], "indices": [0, 23]}
            for i, u in enumerate(urls)]  # fmt: skip


def _aaa(case: dict, shape: str, source_id: str, post_id: str, author_id: str) -> dict:
    text = case.get("text", "")
    original: dict[str, Any] = {
        "id_str": source_id,
        "created_at": "Sat Oct 28 21:41:02 +0000 2017",
        "user": {"id_str": author_id, "screen_name": f"author{author_id[-4:]}", "name": "An Author",
                 "description": case.get("bio", ""), "verified": False, "followers_count": 100},
        "possibly_sensitive": bool(case.get("sensitive")),
        "lang": "en",
        "text": text,
        "entities": {"urls": _v1_urls(case.get("urls", []))},
    }  # fmt: skip
    if case.get("extended"):
        original["truncated"] = True
        original["text"] = text[:117] + "… https://t.co/more"
        original["entities"] = {"urls": [{"url": "https://t.co/more", "expanded_url":
                                          f"https://twitter.com/i/web/status/{source_id}"}]}  # fmt: skip
        original["extended_tweet"] = {"full_text": text, "entities": {"urls": _v1_urls(case.get("urls", []))}}
    tweet: dict[str, Any] = {
        "id_str": post_id,
        "created_at": "Sat Oct 28 21:43:10 +0000 2017",
        "user": ACCOUNT,
        "entities": {"urls": []},
    }
    if shape == "aaa_retweet":
        tweet |= {"retweeted_status": original, "text": f"RT @{original['user']['screen_name']}: {text[:100]}"}
    else:
        tweet |= {"is_quote_status": True, "quoted_status_id_str": source_id, "quoted_status": original,
                  "text": "Is this right?"}  # fmt: skip
    return {"for_user_id": ACCOUNT["id_str"], "tweet_create_events": [tweet]}


def _xaa(case: dict, shape: str, source_id: str, post_id: str, author_id: str) -> dict:
    text = case.get("text", "")
    urls = [{"url": f"https://t.co/c{i}", "expanded_url": u} for i, u in enumerate(case.get("urls", []))]
    original: dict[str, Any] = {
        "id": source_id,
        "author_id": author_id,
        "created_at": "2026-11-21T20:01:40.000Z",
        "possibly_sensitive": bool(case.get("sensitive")),
        "text": text if not case.get("extended") else text[:270] + "…",
        "entities": {"urls": urls},
    }
    if case.get("extended"):
        original["note_tweet"] = {"text": text, "entities": {"urls": urls}}
    kind = "retweeted" if shape == "xaa_repost" else "quoted"
    payload = {
        "id": post_id,
        "author_id": ACCOUNT["id_str"],
        "created_at": "2026-11-21T20:14:03.000Z",
        "referenced_tweets": [{"type": kind, "id": source_id}],
        "text": f"RT @someone: {text[:80]}" if kind == "retweeted" else "Is this right?",
    }
    users = [{"id": author_id, "username": f"author{author_id[-4:]}", "name": "An Author",
              "description": case.get("bio", ""), "verified": False}]  # fmt: skip
    return {
        "data": {
            "event_type": "post.create",
            "filter": {"user_id": ACCOUNT["id_str"]},
            "payload": payload,
            "includes": {"tweets": [original], "users": users},
        }
    }
