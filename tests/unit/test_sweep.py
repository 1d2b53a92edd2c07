"""The sweep for lost webhooks: the real X client against the X stand-in's timelines (OAuth 1.0a
checked by oauthlib), the checkpoints and the inspection ledger on moto's DynamoDB, the inspect queue
as a list."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from takedown.evidence import EvidenceError, EvidenceObject, RawSource
from takedown.ledger import InspectionLedger
from takedown.policy import AccountPolicy
from takedown.repost import Repost
from takedown.sweep import FIRST_LOOKBACK, AccountSweep, SweepCheckpoints, Sweeper
from takedown.webhook import EnqueueError, PostEvent, read_delivery
from takedown.x_api import USER_POSTS_MAX_RESULTS, XClient, XCredentials, XCredentialsError
from takedown_local.standins import XStandIn
from takedown_local.template import create_tables
from takedown_local.traffic import XAA_RETWEET, timeline_retweet
from tests.conftest import EVENTS, ROOT

ACCOUNT, OTHER = "1000000000000000001", "1000000000000000002"
CONSUMER_KEY, CONSUMER_SECRET = "takedownsweepconsumer", "consumer-secret-sweep"
TOKENS = {f"{ACCOUNT}-sweeptoken": "sweep-token-secret", f"{OTHER}-othertoken": "other-token-secret"}
NOW = datetime.now(UTC).replace(microsecond=0)
SETTLE = timedelta(seconds=60)


@dataclass
class Directory:
    policies: list[AccountPolicy]

    def accounts(self) -> list[AccountPolicy]:
        return list(self.policies)


@dataclass
class Queue:
    sent: list[PostEvent] = field(default_factory=list)
    refuse: bool = False

    def send(self, candidates: Sequence[PostEvent]) -> None:
        if self.refuse:
            raise EnqueueError("1 of 1 messages not enqueued (ServiceUnavailable)")
        self.sent.extend(candidates)

    @property
    def post_ids(self) -> list[str]:
        return [event.post_id for event in self.sent]


@dataclass
class Evidence:
    """X's answers as the evidence locker would keep them (the locker itself: test_evidence.py)."""

    kept: dict[str, bytes] = field(default_factory=dict)
    refuse: bool = False

    def keep_api_response(self, body: bytes, received_at: datetime) -> RawSource:
        if self.refuse:
            raise EvidenceError("responses/...: S3 PutObject failed (ServiceUnavailable)")
        digest = hashlib.sha256(body).hexdigest()
        self.kept[digest] = body
        return RawSource(origin="sweep", body=EvidenceObject(key=f"responses/{digest}", sha256=digest, size=len(body)))


@dataclass
class World:
    x: XStandIn
    sweeper: Sweeper
    checkpoints: SweepCheckpoints
    ledger: InspectionLedger
    queue: Queue
    clock: list[datetime]
    directory: Directory
    evidence: Evidence

    def sweep(self, *only: str) -> list[AccountSweep]:
        return self.sweeper.sweep(only=set(only) if only else None)


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws(), XStandIn(CONSUMER_KEY, CONSUMER_SECRET, TOKENS) as x, httpx.Client() as http:
        dynamodb = boto3.client("dynamodb")
        tables = create_tables(dynamodb, ROOT / "template.yaml", prefix="s-")
        checkpoints = SweepCheckpoints(dynamodb, tables["ControlTable"])
        ledger = InspectionLedger(dynamodb, tables["InspectionLedgerTable"])
        queue, clock, evidence = Queue(), [NOW], Evidence()
        directory = Directory([AccountPolicy(account_id=ACCOUNT), AccountPolicy(account_id=OTHER)])

        def reader_for(policy: AccountPolicy) -> XClient:
            if not any(t.startswith(f"{policy.account_id}-") for t in TOKENS):
                raise XCredentialsError(f"secret s/x-account/{policy.account_id}: ResourceNotFoundException")
            return XClient(http, credentials(policy.account_id), base_url=x.url)

        sweeper = Sweeper(
            directory, reader_for, checkpoints, ledger, queue, evidence, clock=lambda: clock[0], settle=SETTLE
        )
        yield World(x, sweeper, checkpoints, ledger, queue, clock, directory, evidence)


def retweet(world: World, repost_id: int, *, account: str = ACCOUNT, ago: timedelta = timedelta(minutes=3)) -> None:
    world.x.publish(*timeline_retweet(account, repost_id, repost_id - 10**15, world.clock[0] - ago))


def plain_post(world: World, post_id: int, *, ago: timedelta = timedelta(minutes=3)) -> None:
    made = (world.clock[0] - ago).isoformat().replace("+00:00", "Z")
    world.x.publish({"id": str(post_id), "author_id": ACCOUNT, "text": "Have you seen Sam?", "created_at": made})


def test_a_repost_whose_webhook_never_came_goes_to_inspection_as_the_webhook_would_send_it(world: World) -> None:
    retweet(world, 2090000000000000101)
    plain_post(world, 2090000000000000102)
    (report, _other) = world.sweep()
    assert (report.outcome, report.posts_read, report.reposts, report.enqueued) == ("swept", 2, 1, 1)
    (event,) = world.queue.sent
    assert (event.found_by, event.api, event.kind, event.is_candidate) == ("sweep", "x_activity", "retweet", True)
    # What inspection reads is what the X Activity webhook delivers for the same retweet.
    (delivered,) = read_delivery(json.dumps(XAA_RETWEET).encode(), NOW).candidates
    swept, webhook = Repost.from_event(event), Repost.from_event(delivered)
    assert swept.source_post_id == str(2090000000000000101 - 10**15)
    same = ("text", "urls", "source_author", "possibly_sensitive", "lang", "kind", "by_account")
    assert {name: getattr(swept, name) for name in same} == {name: getattr(webhook, name) for name in same}
    assert report.since_id == world.checkpoints.since_id(ACCOUNT) == "2090000000000000102"
    # Its evidence: the bytes of X's answer that listed it, as a delivery's would be.
    assert event.raw_source is not None and event.raw_source.origin == "sweep"
    listed = json.loads(world.evidence.kept[event.raw_source.body.sha256])
    assert event.post in listed["data"]


def test_nothing_is_sent_without_its_evidence_and_the_next_sweep_tries_again(world: World) -> None:
    retweet(world, 2090000000000000151)
    world.evidence.refuse = True
    (report,) = world.sweep(ACCOUNT)
    assert (report.outcome, report.failure, world.queue.sent) == ("failed", "evidence", [])
    assert world.checkpoints.since_id(ACCOUNT) is None
    world.evidence.refuse = False
    (again,) = world.sweep(ACCOUNT)
    assert (again.enqueued, world.queue.post_ids) == (1, ["2090000000000000151"])


def test_the_first_sweep_looks_back_a_day_and_later_ones_start_at_the_checkpoint(world: World) -> None:
    retweet(world, 2090000000000000201, ago=FIRST_LOOKBACK + timedelta(minutes=5))  # before the look-back
    retweet(world, 2090000000000000202)
    world.sweep(ACCOUNT)
    assert world.queue.post_ids == ["2090000000000000202"]
    first = world.x.calls[-1]
    world.clock[0] += timedelta(minutes=5)
    retweet(world, 2090000000000000203)
    (report,) = world.sweep(ACCOUNT)
    assert world.queue.post_ids == ["2090000000000000202", "2090000000000000203"] and report.posts_read == 1
    assert (report.since_id, world.checkpoints.since_id(ACCOUNT)) == ("2090000000000000203",) * 2
    (nothing_new,) = world.sweep(ACCOUNT)
    assert (nothing_new.posts_read, nothing_new.since_id, len(world.queue.sent)) == (0, "2090000000000000203", 2)
    assert first["status"] == 200


def test_posts_already_inspected_are_not_sent_again(world: World) -> None:
    retweet(world, 2090000000000000301)
    retweet(world, 2090000000000000302)
    world.ledger.record(f"{ACCOUNT}-2090000000000000301", "webhook", "scheduled", NOW)
    (report,) = world.sweep(ACCOUNT)
    assert world.queue.post_ids == ["2090000000000000302"]
    assert (report.reposts, report.already_inspected, report.enqueued) == (2, 1, 1)


def test_every_page_is_read_and_sent(world: World) -> None:
    posts = [2090000000000010000 + n for n in range(USER_POSTS_MAX_RESULTS + 30)]
    for post in posts:
        retweet(world, post)
    (report,) = world.sweep(ACCOUNT)
    assert (report.pages, report.enqueued) == (2, len(posts))
    assert sorted(world.queue.post_ids) == [str(p) for p in posts]
    assert report.since_id == str(max(posts))


def test_x_failing_mid_pagination_keeps_the_checkpoint_and_the_next_sweep_finds_the_rest(world: World) -> None:
    retweet(world, 2090000000000020000)
    world.sweep(ACCOUNT)
    checkpoint = world.checkpoints.since_id(ACCOUNT)
    posts = [2090000000000020001 + n for n in range(USER_POSTS_MAX_RESULTS + 5)]
    for post in posts:
        retweet(world, post)
    world.x.fail_next(500, after=1)  # page 1 answers, page 2 fails
    (failed,) = world.sweep(ACCOUNT)
    assert (failed.outcome, failed.failure, failed.pages) == ("failed", "unavailable", 1)
    assert "HTTP 500" in (failed.error or "")
    assert world.checkpoints.since_id(ACCOUNT) == checkpoint == failed.since_id
    first_page = set(world.queue.post_ids) - {"2090000000000020000"}
    assert len(first_page) == USER_POSTS_MAX_RESULTS  # sent at once, not held for the rest
    for event in world.queue.sent:  # inspection ran on what was sent
        world.ledger.record(event.business_key, "sweep", "scheduled", NOW)
    (again,) = world.sweep(ACCOUNT)
    assert (again.outcome, again.already_inspected, again.enqueued) == ("swept", USER_POSTS_MAX_RESULTS, 5)
    assert sorted(world.queue.post_ids)[1:] == [str(p) for p in posts]  # each one sent once
    assert world.checkpoints.since_id(ACCOUNT) == str(max(posts))


def test_posts_younger_than_the_settle_time_wait_for_the_next_sweep(world: World) -> None:
    retweet(world, 2090000000000030001, ago=timedelta(minutes=5))
    retweet(world, 2090000000000030002, ago=timedelta(seconds=10))  # its webhook may still be on its way
    (report,) = world.sweep(ACCOUNT)
    assert (world.queue.post_ids, report.held_back) == (["2090000000000030001"], 1)
    assert world.checkpoints.since_id(ACCOUNT) == "2090000000000030001"  # below the young post
    world.clock[0] += timedelta(minutes=5)
    (later,) = world.sweep(ACCOUNT)
    assert world.queue.post_ids == ["2090000000000030001", "2090000000000030002"] and later.held_back == 0


@pytest.mark.parametrize(
    ("fault", "failure"), [(401, "auth"), (403, "auth"), (402, "credits"), (429, "rate_limited"), (400, "refused")]
)
def test_x_refusing_one_account_fails_that_sweep_only_and_says_why(world: World, fault: int, failure: str) -> None:
    retweet(world, 2090000000000040001)
    retweet(world, 2090000000000040002, account=OTHER)
    world.x.fail_next(fault)
    first, second = world.sweep()
    assert (first.account_id, first.outcome, first.failure) == (ACCOUNT, "failed", failure)
    assert f"HTTP {fault}" in (first.error or "") and world.checkpoints.since_id(ACCOUNT) is None
    assert (second.account_id, second.outcome, world.queue.post_ids) == (OTHER, "swept", ["2090000000000040002"])


def test_a_revoked_token_and_missing_credentials_are_told_apart(world: World) -> None:
    world.x.revoke(next(iter(TOKENS)))
    world.directory.policies.append(AccountPolicy(account_id="1000000000000000003"))
    revoked, _other, missing = world.sweep()
    assert (revoked.failure, missing.failure) == ("auth", "credentials")
    assert "ResourceNotFoundException" in (missing.error or "")
    assert "sweep-token-secret" not in f"{revoked.error}{missing.error}"


def test_a_queue_that_refuses_keeps_the_checkpoint(world: World) -> None:
    retweet(world, 2090000000000050001)
    world.queue.refuse = True
    (report,) = world.sweep(ACCOUNT)
    assert (report.outcome, report.failure, world.checkpoints.since_id(ACCOUNT)) == ("failed", "enqueue", None)
    world.queue.refuse = False
    (again,) = world.sweep(ACCOUNT)
    assert (again.enqueued, world.checkpoints.since_id(ACCOUNT)) == (1, "2090000000000050001")


def test_the_checkpoint_never_moves_back(world: World) -> None:
    world.checkpoints.advance(ACCOUNT, "2090000000000060009", NOW)
    world.checkpoints.advance(ACCOUNT, "2090000000000060001", NOW)
    assert world.checkpoints.since_id(ACCOUNT) == "2090000000000060009"


def test_reposts_of_others_and_the_accounts_own_posts_are_not_candidates(world: World) -> None:
    data = json.loads((EVENTS / "payloads" / "xaa_post_create_repost_illegal_stream.json").read_bytes())["data"]
    quote = dict(data["payload"], id="2090000000000070001", referenced_tweets=[{"type": "quoted", "id": "1"}])
    quote["created_at"] = (NOW - timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
    world.x.publish(quote)
    reply = dict(quote, id="2090000000000070002", referenced_tweets=[{"type": "replied_to", "id": "1"}])
    world.x.publish(reply)
    (report,) = world.sweep(ACCOUNT)
    assert (report.posts_read, report.reposts, world.queue.post_ids) == (2, 1, ["2090000000000070001"])
    assert world.queue.sent[0].kind == "quote"


def credentials(account: str = ACCOUNT) -> XCredentials:
    token = next(t for t in TOKENS if t.startswith(f"{account}-"))
    values = {
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": token,
        "access_token_secret": TOKENS[token],
    }
    return XCredentials.from_secret_string(json.dumps(values))


def _page(world: World, **query: Any) -> httpx.Response:
    """A timeline request as made by hand (signed), to see what the stand-in answers."""
    return httpx.get(f"{world.x.url}/2/users/{ACCOUNT}/tweets", params=query, auth=credentials().http_auth())


def test_the_standin_answers_only_the_fields_asked_for_and_refuses_unknown_ones(world: World) -> None:
    retweet(world, 2090000000000080001)
    bare = _page(world).json()
    assert set(bare["data"][0]) == {"id", "text", "edit_history_tweet_ids"} and "includes" not in bare
    assert bare["meta"] == {"result_count": 1, "newest_id": "2090000000000080001", "oldest_id": "2090000000000080001"}
    refused = _page(world, expansions="referenced_posts")  # the OpenAPI document's name; X's is referenced_tweets.id
    assert refused.status_code == 400 and refused.json()["errors"][0]["parameters"] == {
        "expansions": ["referenced_posts"]
    }
    assert _page(world, max_results="101").status_code == 400
    assert _page(world, pagination_token="!!").status_code == 400


def test_an_undone_retweet_leaves_the_timeline_as_on_x(world: World) -> None:
    retweet(world, 2090000000000090001)
    client = XClient(httpx.Client(), credentials(), base_url=world.x.url)
    client.unretweet(ACCOUNT, str(2090000000000090001 - 10**15))
    assert client.user_posts(ACCOUNT).posts == ()
    assert world.x.calls[-1]["path"] == f"/2/users/{ACCOUNT}/tweets"


def test_aws_refusing_the_checkpoint_fails_each_account_alone_and_says_so(world: World) -> None:
    retweet(world, 2090000000000100001)
    broken = Sweeper(
        world.directory,
        world.sweeper._reader_for,
        SweepCheckpoints(boto3.client("dynamodb"), "no-such-table"),
        world.ledger,
        world.queue,
        world.evidence,
    )
    reports = broken.sweep()
    assert [(r.outcome, r.failure) for r in reports] == [("failed", "aws")] * 2
    assert "ResourceNotFoundException" in (reports[0].error or "")
