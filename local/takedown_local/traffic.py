"""Traffic for the local stack, as X would make it: signed webhook deliveries of bad retweets, the
same retweets as posts on the account's X timeline (for the sweep), and reading back what became of
them. Shared by the end-to-end tests and the benchmarks, so both measure the same thing.

    bodies = [signed_retweet(account, post, post + 1) for post in posts]
    assert deliver(stack, bodies) == [200] * len(bodies)
    stack.x.publish(*timeline_retweet(account, post, post + 1, made_at))  # a post whose webhook is lost
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from takedown.incidents.model import Incident
from takedown.incidents.store import IncidentStore
from takedown.webhook import SIGNATURE_HEADER, sign
from takedown_local import EVENTS_DIR

if TYPE_CHECKING:
    from takedown_local.stack import LocalStack

# The sample illegal-stream retweet, as each API carries it.
AAA_RETWEET = json.loads((EVENTS_DIR / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes())
XAA_RETWEET = json.loads((EVENTS_DIR / "payloads" / "xaa_post_create_repost_illegal_stream.json").read_bytes())


def signed_retweet(account: str, repost_id: int, source_id: int) -> bytes:
    """The sample illegal-stream retweet by `account`, with fresh ids, as X sends it (escaped slashes)."""
    envelope = copy.deepcopy(AAA_RETWEET)
    envelope["for_user_id"] = account
    tweet = envelope["tweet_create_events"][0]
    tweet["id_str"], tweet["id"] = str(repost_id), repost_id
    tweet["user"]["id_str"], tweet["user"]["id"] = account, int(account)
    tweet["retweeted_status"]["id_str"], tweet["retweeted_status"]["id"] = str(source_id), source_id
    return json.dumps(envelope, separators=(",", ":")).replace("/", "\\/").encode()


def timeline_retweet(
    account: str, repost_id: int, source_id: int, made_at: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The same illegal-stream retweet as a post on the account's X timeline (a complete v2 post),
    with the original it retweets and that post's author: what `XStandIn.publish` takes."""
    data = copy.deepcopy(XAA_RETWEET["data"])
    post, (original,) = data["payload"], data["includes"]["tweets"]
    post.update(
        id=str(repost_id),
        author_id=account,
        conversation_id=str(repost_id),
        edit_history_tweet_ids=[str(repost_id)],
        created_at=made_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        referenced_tweets=[{"type": "retweeted", "id": str(source_id)}],
    )
    original["id"] = str(source_id)
    authors = [user for user in data["includes"]["users"] if user["id"] == original["author_id"]]
    return post, [original], authors


def deliver(stack: LocalStack, bodies: Sequence[bytes], senders: int = 8) -> list[int]:
    """POST each body to the stack's webhook, signed with its consumer secret, from `senders` threads."""
    secret = stack.options.consumer_secret
    url = stack.ready_line()["webhook_url"]
    with httpx.Client(timeout=30) as http:

        def send(body: bytes) -> int:
            headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
            return http.post(url, content=body, headers=headers).status_code

        with ThreadPoolExecutor(senders) as pool:
            return list(pool.map(send, bodies))


def incidents(store: IncidentStore, keys: Sequence[tuple[str, int]]) -> list[Incident | None]:
    """The incident of each (account, post id), None where there is none (yet)."""
    return [store.get(Incident.id_for(account, str(post))) for account, post in keys]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]
