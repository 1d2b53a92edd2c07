"""`make demo`: start the local stack, send the sample deliveries as X would, show what happened.

Every sample in events/payloads/ is POSTed, signed with the stack's consumer secret, to the
webhook over HTTP (plus a CRC check and a forged delivery). The demo then waits for the pipeline
to settle and prints the incidents (status, time to takedown), the calls X received and the cards
Teams accepted. It exits non-zero if anything did not happen as it should.
"""

from __future__ import annotations

import json
import sys

import httpx

from takedown.incidents.model import IncidentStatus, NotificationStatus
from takedown.incidents.store import IncidentStore
from takedown.webhook import SIGNATURE_HEADER, crc_response_token, sign
from takedown_local import EVENTS_DIR
from takedown_local.dynamodb_local import local_client
from takedown_local.stack import LocalStack, StackOptions, wait_for

PAYLOADS = EVENTS_DIR / "payloads"
# payload -> the ORIGINAL post the account retweeted (X knows it; the stand-in is seeded with it)
RETWEETED_SOURCES = {
    "aaa_retweet_illegal_stream.json": "924390001122334455",
    "xaa_post_create_repost_illegal_stream.json": "2089999999999999001",
}
QUOTE_POSTS = ("930381800000000456",)  # the account's quote of an adult post: deleted to undo it
EXPECTED_INCIDENTS = 3  # two illegal streams retweeted, one adult post quoted


def run_demo() -> int:
    with LocalStack(StackOptions()) as stack:
        ready = stack.ready_line()
        print(f"local stack up: webhook {ready['webhook_url']}")
        print(f"review console (signed in as the local reviewer): {ready['review_url']}")
        for source in RETWEETED_SOURCES.values():
            stack.x.seed_retweet(stack.options.account_id, source)
        for quote in QUOTE_POSTS:
            stack.x.seed_post(stack.options.account_id, quote)
        with httpx.Client(timeout=10) as http:
            crc_ok = _check_crc(http, ready)
            for payload in sorted(PAYLOADS.glob("*.json")):
                body = payload.read_bytes()
                response = http.post(
                    ready["webhook_url"],
                    content=body,
                    headers={
                        "content-type": "application/json; charset=utf-8",
                        SIGNATURE_HEADER: sign(ready["consumer_secret"], body),
                    },
                )
                print(f"POST {payload.name:48} -> {response.status_code} {response.text}")
            forged = http.post(
                ready["webhook_url"],
                content=b'{"for_user_id":"1","tweet_create_events":[]}',
                headers={SIGNATURE_HEADER: sign("forged", b"{}")},
            )
            print(f"POST {'(forged signature)':48} -> {forged.status_code} {forged.text}")

        store = IncidentStore(local_client("dynamodb", ready["dynamodb_url"]), stack.incidents_table)

        def settled() -> list | None:
            incidents = store.list_by_account(stack.options.account_id).incidents
            done = [i for i in incidents if i.notification is NotificationStatus.SENT]
            return incidents if len(done) == EXPECTED_INCIDENTS else None

        incidents = wait_for(settled, timeout=60)
        _print_incidents(incidents)
        _print_x_calls(stack.x.calls)
        _print_cards(stack.teams.cards)
        ok = crc_ok and all(i.status is IncidentStatus.UNDONE for i in incidents) and forged.status_code == 401
        print("\ndemo " + ("passed: every bad repost was undone and reported" if ok else "FAILED"))
        return 0 if ok else 1


def _check_crc(http: httpx.Client, ready: dict) -> bool:
    token = "demo-crc-token"  # noqa: S105 - X sends a random token; any works
    response = http.get(ready["webhook_url"], params={"crc_token": token})
    expected = crc_response_token(ready["consumer_secret"], token)
    matches = response.status_code == 200 and response.json() == {"response_token": expected}
    print(f"GET  ?crc_token=…{'':37} -> {response.status_code} response_token {'matches' if matches else 'WRONG'}")
    return matches


def _print_incidents(incidents: list) -> None:
    print("\nIncidents")
    # The samples' posts are years old, so the time since X's post time says nothing here: the demo
    # shows the time from the webhook receiving the delivery to the undo.
    print(f"  {'incident':40} {'kind':8} {'category':15} {'status':12} {'notified':9} undone after receipt")
    for incident in sorted(incidents, key=lambda i: i.detected_at):
        undone = (
            f"{(incident.undone_at - incident.received_at).total_seconds() * 1000:.0f} ms"
            if incident.undone_at
            else "-"
        )
        print(
            f"  {incident.incident_id:40} {incident.kind:8} {incident.category:15} {incident.status.value:12} "
            f"{incident.notification.value:9} {undone}"
        )


def _print_x_calls(calls: list[dict]) -> None:
    print("\nCalls the X API received")
    for call in calls:
        print(f"  {call['method']:6} {call['path']:50} {call['status']}")


def _print_cards(cards: list[dict]) -> None:
    print("\nTeams cards accepted")
    for card in cards:
        title = next((b.get("text") for b in card["body"] if b.get("type") == "TextBlock"), "")
        print(f"  {title}  ({len(json.dumps(card))} bytes)")


if __name__ == "__main__":
    sys.exit(run_demo())
