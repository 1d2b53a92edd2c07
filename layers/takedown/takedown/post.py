"""The domain's words for a post, shared by the webhook, the queue, inspection and incidents.

- `post_id` is always the subscribed account's own post (the retweet or the quote);
  `source_post_id` the original it retweeted or quoted (for a plain post, the post itself).
- `PostKind` is what the post is; `RepostKind` the two kinds Takedown may ever undo.
- A *candidate* is a repost BY the subscribed account (`is_candidate`): someone else retweeting
  the account is delivered too, and is none of our business.
- `business_key(account_id, post_id)` names one inspection however often X or SQS deliver it:
  the inspect queue's deduplication id and the incident id are both this string.
- `FoundBy` is how Takedown learnt of a post: X's webhook delivered it, or the sweep
  (takedown.sweep) read it from the account's timeline because no delivery came.

    business_key("1000000000000000001", "1900000000000000001")  # '1000000000000000001-1900000000000000001'
"""

from __future__ import annotations

from typing import Literal

Api = Literal["account_activity", "x_activity"]
PostKind = Literal["retweet", "quote", "post"]
RepostKind = Literal["retweet", "quote"]
FoundBy = Literal["webhook", "sweep"]
REPOST_KINDS: frozenset[PostKind] = frozenset({"retweet", "quote"})


def is_candidate(kind: PostKind, by_account: bool) -> bool:
    """A retweet or quote made BY the subscribed account: the only thing Takedown may undo."""
    return by_account and kind in REPOST_KINDS


def business_key(account_id: str, post_id: str) -> str:
    """One key per (account, post). Both are decimal ids, so "-" keeps it valid as an SQS
    deduplication id and readable as an incident id."""
    return f"{account_id}-{post_id}"
