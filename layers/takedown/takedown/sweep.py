"""The sweep: catch up on webhooks that never came, by reading each account's own recent posts.

X's webhooks can be lost (a subscription dropped, an outage, a delivery X gave up on). On a schedule
(functions/reconcile, every 5 minutes by default) the sweep reads, for every subscribed account in
the accounts table, the posts it made since the last sweep (`GET /2/users/{id}/tweets`, newest first,
paginated, `since_id` = the account's checkpoint; the first sweep of an account looks back
`FIRST_LOOKBACK`), keeps the reposts BY the account, and sends every one that the inspection ledger
(takedown.ledger) does not know into the inspect queue: the same queue, message and inspection the
webhook uses, with `found_by="sweep"`. A post the webhook brings as well is inspected once: the
inspect queue's deduplication drops a repeat within five minutes, and the ledger skips it after.
There is no signed delivery to keep as evidence: the bytes of X's answer that listed the posts are
kept instead (takedown.evidence, `responses/<sha256>`), once per page that sends anything, and
travel on each message as its `raw_source`, as a delivery's do.

The checkpoint (the control table, `sweep#<account id>`) moves forward only when the whole sweep of
that account succeeded, and never backwards: a failure anywhere (X refusing, X failing on page 3, the
queue refusing) leaves it where it was, so the next sweep reads the same posts again; what this one
already sent is then known to the ledger (or dropped by the queue's deduplication) and not sent twice.
Posts younger than `settle` are left for the next sweep (and the checkpoint stays below them): their
webhook delivery may still be on its way, and a sweep that beat it would look like a lost webhook.

One account's failure is reported and never stops the others.

    sweeper = Sweeper(directory, reader_for, checkpoints, ledger, queue, evidence)
    for report in sweeper.sweep():
        print(report.account_id, report.outcome, report.enqueued)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from takedown.clock import Clock, utc_now
from takedown.dynamodb_item import timestamp
from takedown.evidence import EvidenceError, RawSource
from takedown.policy import AccountPolicy
from takedown.webhook.envelopes import PostEvent, read_v2_post
from takedown.webhook.exceptions import EnqueueError, MalformedDeliveryError
from takedown.x_api import (
    PostsPage,
    XApiError,
    XAuthError,
    XCredentialsError,
    XCreditsError,
    XRateLimitedError,
    XUnavailableError,
)

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

FIRST_LOOKBACK = timedelta(hours=24)  # an account never swept: as far back as X's replay reaches
DEFAULT_SETTLE = timedelta(seconds=60)  # a webhook normally arrives within seconds of the post
MAX_PAGES = 32  # X serves at most the 3,200 most recent posts of a timeline: 32 pages of 100

SweepOutcome = Literal["swept", "failed"]
# Why a sweep of an account failed: what a person (auth, credits) or time (the rest) must fix.
SweepFailure = Literal[
    "credentials", "auth", "credits", "rate_limited", "unavailable", "refused", "enqueue", "evidence", "aws"
]


class AccountDirectory(Protocol):
    """Every subscribed account (takedown.console.AccountAdmin reads the accounts table)."""

    def accounts(self) -> list[AccountPolicy]: ...


class PostReader(Protocol):
    """One account's timeline on X (takedown.x_api.XClient)."""

    def user_posts(
        self,
        account_id: str,
        *,
        since_id: str | None = None,
        start_time: datetime | None = None,
        pagination_token: str | None = None,
    ) -> PostsPage: ...


class InspectedPosts(Protocol):
    """Which posts were inspected already (takedown.ledger.InspectionLedger)."""

    def inspected(self, keys: Iterable[str]) -> frozenset[str]: ...


class ResponseEvidence(Protocol):
    """Keeps X's answer as evidence (takedown.evidence.EvidenceLocker); raises EvidenceError."""

    def keep_api_response(self, body: bytes, received_at: datetime) -> RawSource: ...


class CandidateQueue(Protocol):
    """The inspect queue (takedown.inspect_queue.SqsInspectQueue); raises EnqueueError."""

    def send(self, candidates: Sequence[PostEvent]) -> None: ...


@dataclass(frozen=True)
class AccountSweep:
    """What one sweep of one account read, sent and left, and where its checkpoint is now."""

    account_id: str
    outcome: SweepOutcome
    since_id: str | None  # the checkpoint after this sweep (unchanged when it failed)
    pages: int = 0
    posts_read: int = 0  # new posts of the account on X, of every kind
    reposts: int = 0  # of them, retweets and quotes BY the account: the candidates
    enqueued: int = 0  # candidates the ledger did not know: sent to inspection
    already_inspected: int = 0  # candidates the webhook (or an earlier sweep) brought first
    held_back: int = 0  # too young to judge the webhook lost: left for the next sweep
    unreadable: tuple[str, ...] = ()  # posts X listed without what makes a post (logged by id)
    failure: SweepFailure | None = None
    error: str | None = None  # the one-line reason of a failure (never a secret, never post text)


class SweepCheckpoints:
    """Each account's `since_id` in the control table, moved forward only (a conditional update)."""

    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self._ddb = dynamodb
        self._table = table_name

    def since_id(self, account_id: str) -> str | None:
        key = {"pk": {"S": _key(account_id)}}
        item = self._ddb.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return str(item["since_id"]["N"]) if item and "since_id" in item else None

    def advance(self, account_id: str, since_id: str, at: datetime) -> None:
        """Move the checkpoint to `since_id` unless it is already there or further."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": {"S": _key(account_id)}},
                UpdateExpression="SET since_id = :since_id, swept_at = :at",
                ConditionExpression="attribute_not_exists(since_id) OR since_id < :since_id",
                ExpressionAttributeValues={":since_id": {"N": since_id}, ":at": {"S": timestamp(at)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


def _key(account_id: str) -> str:
    return f"sweep#{account_id}"


@dataclass
class _Progress:
    """What the sweep of one account has done so far; becomes its AccountSweep."""

    pages: int = 0
    posts_read: int = 0
    reposts: int = 0
    enqueued: int = 0
    already_inspected: int = 0
    held_back: int = 0
    newest_settled: int | None = None
    unreadable: list[str] = field(default_factory=list)

    def report(
        self,
        account_id: str,
        since_id: str | None,
        failure: SweepFailure | None = None,
        error: Exception | None = None,
    ) -> AccountSweep:
        return AccountSweep(
            account_id=account_id,
            outcome="swept" if failure is None else "failed",
            since_id=since_id,
            pages=self.pages,
            posts_read=self.posts_read,
            reposts=self.reposts,
            enqueued=self.enqueued,
            already_inspected=self.already_inspected,
            held_back=self.held_back,
            unreadable=tuple(self.unreadable),
            failure=failure,
            error=str(error) if error is not None else None,
        )


class Sweeper:
    """Sweeps every subscribed account (or the ones named). Every collaborator is passed in."""

    def __init__(
        self,
        accounts: AccountDirectory,
        reader_for: Callable[[AccountPolicy], PostReader],  # raises XCredentialsError
        checkpoints: SweepCheckpoints,
        ledger: InspectedPosts,
        queue: CandidateQueue,
        evidence: ResponseEvidence,
        clock: Clock = utc_now,
        settle: timedelta = DEFAULT_SETTLE,
    ) -> None:
        self._accounts = accounts
        self._reader_for = reader_for
        self._checkpoints = checkpoints
        self._ledger = ledger
        self._queue = queue
        self._evidence = evidence
        self._clock = clock
        self._settle = settle

    def sweep(self, only: Collection[str] | None = None) -> list[AccountSweep]:
        """One sweep of each subscribed account (of `only`, when given), in the table's order."""
        policies = [p for p in self._accounts.accounts() if only is None or p.account_id in only]
        return [self.sweep_account(policy) for policy in policies]

    def sweep_account(self, policy: AccountPolicy) -> AccountSweep:
        account_id = policy.account_id
        since_id: str | None = None
        progress = _Progress()
        try:
            since_id = self._checkpoints.since_id(account_id)
            reader = self._reader_for(policy)
            self._read_all(reader, account_id, since_id, progress)
            if progress.newest_settled is not None and (since_id is None or progress.newest_settled > int(since_id)):
                self._checkpoints.advance(account_id, str(progress.newest_settled), self._clock())
                since_id = str(progress.newest_settled)
        except XCredentialsError as error:
            return progress.report(account_id, since_id, "credentials", error)
        except XApiError as error:
            return progress.report(account_id, since_id, _failure(error), error)
        except EnqueueError as error:
            return progress.report(account_id, since_id, "enqueue", error)
        except EvidenceError as error:  # nothing is sent without its evidence: the next sweep tries again
            return progress.report(account_id, since_id, "evidence", error)
        except (BotoCoreError, ClientError) as error:  # the ledger or the checkpoint: this account waits
            return progress.report(account_id, since_id, "aws", error)
        return progress.report(account_id, since_id)

    def _read_all(self, reader: PostReader, account_id: str, since_id: str | None, progress: _Progress) -> None:
        started = self._clock()
        start_time = started - FIRST_LOOKBACK if since_id is None else None
        settled_before = started - self._settle
        token: str | None = None
        while progress.pages < MAX_PAGES:
            page = reader.user_posts(account_id, since_id=since_id, start_time=start_time, pagination_token=token)
            progress.pages += 1
            self._send_new_reposts(page, account_id, started, settled_before, progress)
            token = page.next_token
            if token is None:
                return

    def _send_new_reposts(
        self, page: PostsPage, account_id: str, read_at: datetime, settled_before: datetime, progress: _Progress
    ) -> None:
        candidates: list[PostEvent] = []
        for index, post in enumerate(page.posts):
            progress.posts_read += 1
            try:
                event = read_v2_post(post, page.includes, account_id, read_at, found_by="sweep", where=f"data[{index}]")
            except MalformedDeliveryError:
                progress.unreadable.append(str(post.get("id", "?"))[:20])
                continue
            if _created_at(event) > settled_before:
                progress.held_back += 1
                continue
            post_id = int(event.post_id)
            progress.newest_settled = max(post_id, progress.newest_settled or post_id)
            if event.is_candidate:
                candidates.append(event)
        progress.reposts += len(candidates)
        if not candidates:
            return
        inspected = self._ledger.inspected(candidate.business_key for candidate in candidates)
        new = [candidate for candidate in candidates if candidate.business_key not in inspected]
        progress.already_inspected += len(candidates) - len(new)
        if new:
            source = self._evidence.keep_api_response(page.body, read_at)
            self._queue.send([candidate.model_copy(update={"raw_source": source}) for candidate in new])
            progress.enqueued += len(new)


_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def _created_at(event: PostEvent) -> datetime:
    """When X says the post was made; a post without a readable time counts as settled (long ago)."""
    value = event.post.get("created_at")
    try:
        made = datetime.fromisoformat(value) if isinstance(value, str) else _LONG_AGO
    except ValueError:
        return _LONG_AGO
    return made if made.tzinfo else made.replace(tzinfo=UTC)


def _failure(error: XApiError) -> SweepFailure:
    if isinstance(error, XAuthError):
        return "auth"
    if isinstance(error, XCreditsError):
        return "credits"
    if isinstance(error, XRateLimitedError):
        return "rate_limited"
    if isinstance(error, XUnavailableError):
        return "unavailable"
    return "refused"
