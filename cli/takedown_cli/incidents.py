"""`takedown incidents`: ops review of takedowns, against AWS or the local stack.

Endpoints come from the environment as for any AWS tool (AWS_ENDPOINT_URL_DYNAMODB for the local
stack); the table from --table or INCIDENTS_TABLE. A false positive is resolved, and with
--restore the repost is put back on X (a retweet is retweeted again; a deleted quote cannot be).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import datetime

from takedown.clock import utc_now
from takedown.incidents.model import IncidentStatus, Resolution
from takedown.incidents.store import IncidentStore
from takedown.settings import ConfigurationError, RestoreSettings
from takedown.wiring import build_incident_store, build_restorer


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("incidents", help="review incidents")
    parser.add_argument("--table", default=os.environ.get("INCIDENTS_TABLE"), help="incidents table name")
    commands = parser.add_subparsers(dest="incidents_command", required=True)

    listing = commands.add_parser("list", help="incidents of an account, or in a status, newest first")
    listing.add_argument("--account", help="account id (default: every status=--status incident)")
    listing.add_argument("--status", choices=[s.value for s in IncidentStatus], default="undone")
    listing.add_argument("--since", type=datetime.fromisoformat, help="ISO time, e.g. 2026-11-24T00:00:00+00:00")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=list_incidents)

    show = commands.add_parser("show", help="one incident, with its history")
    show.add_argument("incident_id")
    show.set_defaults(handler=show_incident)

    resolve = commands.add_parser("resolve", help="confirm a takedown, or mark it a false positive")
    resolve.add_argument("incident_id")
    outcome = resolve.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--confirmed", action="store_true")
    outcome.add_argument("--false-positive", action="store_true")
    resolve.add_argument("--restore", action="store_true", help="with --false-positive: retweet it again on X")
    resolve.add_argument("--by", default=getpass.getuser(), help="who reviewed it")
    resolve.set_defaults(handler=resolve_incident)


def _store(args: argparse.Namespace) -> IncidentStore:
    if not args.table:
        sys.exit("takedown incidents: set --table or INCIDENTS_TABLE")
    return build_incident_store(args.table)


def list_incidents(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.account:
        page = store.list_by_account(args.account, since=args.since, limit=args.limit)
    else:
        page = store.list_by_status(IncidentStatus(args.status), since=args.since, limit=args.limit)
    for incident in page.incidents:
        if args.json:
            print(incident.model_dump_json())
        else:
            print(
                f"{incident.detected_at:%Y-%m-%d %H:%M:%S} {incident.incident_id:42} {incident.kind:8} "
                f"{incident.category:15} {incident.status.value:12} {incident.time_to_takedown_ms or '-'} ms"
            )
    return 0


def show_incident(args: argparse.Namespace) -> int:
    incident = _store(args).get(args.incident_id)
    if incident is None:
        print(f"no incident {args.incident_id}", file=sys.stderr)
        return 1
    print(json.dumps(incident.model_dump(mode="json"), indent=1, ensure_ascii=False))
    return 0


def resolve_incident(args: argparse.Namespace) -> int:
    store = _store(args)
    now = utc_now()
    resolution = Resolution.CONFIRMED if args.confirmed else Resolution.FALSE_POSITIVE
    incident = store.resolve(args.incident_id, resolution, args.by, now)
    if args.restore and resolution is Resolution.FALSE_POSITIVE:
        if incident.kind != "retweet":
            print("a deleted quote cannot be restored; ask the account to post it again", file=sys.stderr)
            return 1
        try:
            settings = RestoreSettings.from_env(os.environ)
        except ConfigurationError as error:
            print(f"takedown incidents resolve --restore: {error}", file=sys.stderr)
            return 2
        build_restorer(settings)(incident.account_id).retweet(incident.account_id, incident.source_post_id)
        incident = store.record_restored(incident.incident_id, utc_now())
    print(json.dumps({"incident_id": incident.incident_id, "status": incident.status.value}))
    return 0
