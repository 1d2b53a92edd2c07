"""Catching up on lost deliveries through the local stack, as an operator does it with `takedown`:
register the webhook (X's CRC call answered by the stack's real webhook handler), subscribe the
account (both APIs), a replay outside 24 hours refused before X is asked, and a delivery X lost
replayed into the pipeline: inspected, recorded and undone once, however often it is replayed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from takedown.incidents.model import Incident, IncidentStatus
from takedown.incidents.store import IncidentStore
from takedown.ledger import InspectionLedger
from takedown.post import business_key
from takedown_cli.main import main
from takedown_local.dynamodb_local import local_client
from takedown_local.stack import LocalStack, StackOptions, wait_for
from tests.conftest import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

AAA_ACCOUNT, XAA_ACCOUNT = "3000000000000000001", "3000000000000000002"
AAA_PAYLOAD = json.loads((EVENTS / "payloads" / "aaa_retweet_illegal_stream.json").read_bytes())
XAA_PAYLOAD = json.loads((EVENTS / "payloads" / "xaa_post_create_repost_illegal_stream.json").read_bytes())


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(StackOptions(account_ids=(AAA_ACCOUNT, XAA_ACCOUNT))) as running:
        yield running


type Takedown = Callable[..., Ran]


@pytest.fixture
def takedown(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Takedown]:
    """`takedown ...` with the environment the stack's ready line gives an operator."""
    for name, value in stack.ready_line()["env"].items():
        monkeypatch.setenv(name, value)

    def run(*argv: str) -> Ran:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    yield run


def aaa_retweet(repost_id: int, source_id: int) -> bytes:
    envelope = copy.deepcopy(AAA_PAYLOAD)
    envelope["for_user_id"] = AAA_ACCOUNT
    tweet = envelope["tweet_create_events"][0]
    tweet["id_str"], tweet["id"] = str(repost_id), repost_id
    tweet["user"]["id_str"], tweet["user"]["id"] = AAA_ACCOUNT, int(AAA_ACCOUNT)
    tweet["retweeted_status"]["id_str"], tweet["retweeted_status"]["id"] = str(source_id), source_id
    return json.dumps(envelope, separators=(",", ":")).replace("/", "\\/").encode()


def xaa_repost(repost_id: int, source_id: int) -> bytes:
    envelope = copy.deepcopy(XAA_PAYLOAD)
    data = envelope["data"]
    data["event_type"], data["filter"]["user_id"] = "post.repost.create", XAA_ACCOUNT
    post = data["payload"]
    post["id"], post["author_id"] = str(repost_id), XAA_ACCOUNT
    post["edit_history_tweet_ids"] = [str(repost_id)]
    post["referenced_tweets"] = [{"type": "retweeted", "id": str(source_id)}]
    data["includes"]["tweets"][0]["id"] = str(source_id)  # the reposted post, as X includes it
    for user in data["includes"]["users"]:
        if user["id"] == "1000000000000000001":  # the sample's account
            user["id"] = XAA_ACCOUNT
    return json.dumps(envelope, separators=(",", ":")).encode()


def unretweets(stack: LocalStack, account: str, source_id: int) -> list[dict]:
    path = f"/2/users/{account}/retweets/{source_id}"
    return [call for call in stack.x.calls if call["method"] == "DELETE" and call["path"] == path]


def queues_settled(stack: LocalStack) -> bool:
    """Nothing waiting or in flight on the inspect and undo queues: the pipeline has done its work."""
    sqs = local_client("sqs", stack.moto_url)
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    return all(
        int(value) == 0
        for url in (stack.inspect_queue_url, stack.undo_queue_url)
        for value in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values()  # type: ignore[arg-type]
    )


def test_register_subscribe_and_replay_a_lost_delivery(stack: LocalStack, takedown: Takedown) -> None:
    run = takedown
    store = IncidentStore(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.incidents_table)

    # X calls the stack's webhook handler with a signed CRC request: it answers, X registers it.
    registered = run("webhook", "register", stack.ready_line()["webhook_url"], "--json")
    assert registered.code == 0, registered.err
    assert json.loads(registered.out)["valid"] is True
    assert run("webhook", "validate").code == 0

    assert run("accounts", "subscribe", AAA_ACCOUNT, "--api", "aaa").code == 0
    assert run("accounts", "subscribe", XAA_ACCOUNT, "--api", "xaa").code == 0
    listed = run("accounts", "subscriptions", "--json").out.splitlines()
    assert {(json.loads(line)["account_id"], json.loads(line)["api"]) for line in listed} == {
        (AAA_ACCOUNT, "aaa"),
        (XAA_ACCOUNT, "xaa"),
    }

    # More than 24 hours back: refused with its exit code before X is asked anything.
    calls_before = len(stack.x.calls)
    refused = run("replay", "--from", "25h")
    assert refused.code == 2 and "more than 24 hours ago" in refused.err
    assert len(stack.x.calls) == calls_before

    # X saw both reposts but lost their deliveries: nothing reached Takedown.
    lost = [
        (AAA_ACCOUNT, 5_100_000_000_000_000_001, 5_200_000_000_000_000_001, aaa_retweet),
        (XAA_ACCOUNT, 5_100_000_000_000_000_002, 5_200_000_000_000_000_002, xaa_repost),
    ]
    for _, repost, source, envelope in lost:
        assert stack.x.deliveries.record_activity(envelope(repost, source), delivered=False) == []
    ids = [Incident.id_for(account, str(repost)) for account, repost, _, _ in lost]
    assert [store.get(incident_id) for incident_id in ids] == [None, None]

    # The replay redelivers them through the webhook: each is inspected, recorded and undone.
    replayed = run("replay", "--from", "30m")
    assert replayed.code == 0, replayed.err
    undone = wait_for(
        lambda: (found := [store.get(i) for i in ids]) and all(i and i.status is IncidentStatus.UNDONE for i in found),
        timeout=60,
    )
    assert undone
    assert stack.x.deliveries.replays_finished()
    replay_answers = [(d["kind"], d["status"]) for d in stack.x.deliveries.deliveries if d["replay"]]
    assert replay_answers.count(("activity", 200)) == 2

    # Replayed again (an operator unsure it worked): delivered again, acted on once.
    assert run("replay", "--from", "30m").code == 0
    assert stack.x.deliveries.replays_finished()
    again = [(d["kind"], d["status"]) for d in stack.x.deliveries.deliveries if d["replay"]]
    assert again.count(("activity", 200)) == 4
    wait_for(lambda: queues_settled(stack), timeout=60)
    for account, repost, source, _ in lost:
        assert len(unretweets(stack, account, source)) == 1, f"{account}'s repost {repost} undone more than once"
    for incident_id in ids:
        incident = store.get(incident_id)
        assert incident is not None
        assert [change.status for change in incident.history].count(IncidentStatus.UNDONE) == 1
    # The inspection ledger holds each post once, found by the webhook (the replay's path), so the
    # sweep will not bring it to inspection again.
    ledger = InspectionLedger(local_client("dynamodb", stack.dynamodb.endpoint_url), stack.ledger_table)
    for account, repost, _, _ in lost:
        entry = ledger.entry(business_key(account, str(repost)))
        assert entry is not None and entry.found_by == "webhook"
