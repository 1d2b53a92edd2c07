"""`takedown incidents list|show|resolve|export`: ops review of takedowns, against AWS or the local stack.

Endpoints come from the environment as for any AWS tool (AWS_ENDPOINT_URL_DYNAMODB for the local
stack); the table from --table or INCIDENTS_TABLE. Resolving goes through the console's own
`ReviewDesk`, so the rules are the same: a false positive needs a reason, nothing is resolved twice,
and `--restore` (a retweet is retweeted again; a deleted quote cannot be) checks its settings before
changing anything, then puts the repost back on X before recording it restored. If X refuses, the
incident stays a resolved false positive and the same command tries again.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.text import Text

from takedown.clock import utc_now
from takedown.console.review import Retweeter, ReviewDesk
from takedown.incidents.model import Incident, IncidentStatus
from takedown.incidents.store import IncidentPage, IncidentStore
from takedown.readable import duration
from takedown.settings import ConfigurationError, RestoreSettings
from takedown.wiring import build_incident_store, build_restorer
from takedown_cli.errors import UsageProblemError
from takedown_cli.options import JsonOption, TableOption, run_of, table_name, wants_json
from takedown_cli.output import (
    new_table,
    operator_zone,
    print_json,
    print_json_lines,
    progress,
    said,
    stdout,
    styled,
    when,
)

INCIDENTS_TABLE = "INCIDENTS_TABLE"
PAGE_SIZE = 100  # incidents read per query while listing or exporting
STATUS_STYLES = {
    IncidentStatus.UNDO_FAILED: "bold red",
    IncidentStatus.MONITORED: "yellow",
    IncidentStatus.DETECTED: "cyan",
    IncidentStatus.UNDONE: "green",
    IncidentStatus.RESOLVED: "dim",
    IncidentStatus.RESTORED: "blue",
}
# The columns of `export --format csv`: what a spreadsheet of takedowns needs (no post text).
CSV_COLUMNS = (
    "incident_id", "account_id", "account_handle", "post_id", "kind", "category", "score", "status", "resolution",
    "resolved_by", "detected_at", "undone_at", "resolved_at", "time_to_takedown_ms", "post_url",
    "source_post_url", "source_author_handle", "rules",
)  # fmt: skip
_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

app = typer.Typer(
    help="Review incidents: list, show, resolve, export. Table: --table or INCIDENTS_TABLE.", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="incidents")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


SinceOption = Annotated[
    str | None,
    typer.Option(help="only incidents detected since then: a duration (30m, 24h, 7d, 2w) or an ISO time"),
]
IncidentId = Annotated[str, typer.Argument(help="the incident id (the account id and post id, as listed)")]


@app.callback()
def incidents(table: TableOption = None, as_json: JsonOption = False) -> None:
    """Review incidents: list, show, resolve, export. Table: --table or INCIDENTS_TABLE."""


def _store(ctx: typer.Context) -> IncidentStore:
    return build_incident_store(table_name(ctx, INCIDENTS_TABLE))


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """'7d' -> seven days before `now`; an ISO time as given (in the operator's zone when it has none)."""
    if value is None:
        return None
    text = value.strip().lower()
    if match := _DURATION.match(text):
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageProblemError(
            f"--since {value!r}: give a duration (30m, 24h, 7d, 2w) or an ISO time (2026-11-24T09:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=operator_zone())


# ---------------------------------------------------------------------- list
@app.command("list")
def list_incidents(
    ctx: typer.Context,
    status: Annotated[
        list[IncidentStatus] | None, typer.Option(help="only this status (repeat for several; default: every status)")
    ] = None,
    account: Annotated[str | None, typer.Option(help="only this account (its X user id)")] = None,
    since: SinceOption = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many, newest first")] = 50,
    table: TableOption = None,
    as_json: JsonOption = False,
) -> None:
    """Incidents newest first, in every status unless --status says (index queries, never a scan)."""
    now = utc_now()
    found = newest(_store(ctx), statuses=status or list(IncidentStatus), account=account,
                   since=parse_since(since, now), limit=limit)  # fmt: skip
    if wants_json(ctx):
        print_json_lines(incident.model_dump(mode="json") for incident in found)
        return
    if not found:
        stdout().print(said("no incidents since {}", since) if since else "no incidents")
        return
    zone = operator_zone()
    listing = new_table("detected", "incident", "account", "kind", "category", "status", "takedown in", literal=True)
    for incident in found:
        listing.add_row(
            when(incident.detected_at, now, zone),
            incident.incident_id,
            f"@{incident.account_handle}" if incident.account_handle else incident.account_id,
            incident.kind,
            incident.category or "-",
            _status_text(incident),
            duration(incident.time_to_takedown_ms) if incident.time_to_takedown_ms is not None else "-",
        )
    stdout().print(listing)


def newest(
    store: IncidentStore,
    statuses: list[IncidentStatus],
    account: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[Incident]:
    """The newest `limit` incidents in `statuses`: through the by_account index for an account,
    else each status's by_status index, merged."""
    wanted = set(statuses)
    if account:
        pages = _pages(lambda token: store.list_by_account(account, since=since, limit=PAGE_SIZE, next_token=token))
        return _first(pages, limit, lambda incident: incident.status in wanted)
    merged: list[Incident] = []
    for status in sorted(wanted):
        merged.extend(_first(_status_pages(store, status, since), limit, lambda _incident: True))
    return sorted(merged, key=lambda incident: incident.detected_at, reverse=True)[:limit]


def _status_pages(store: IncidentStore, status: IncidentStatus, since: datetime | None) -> Iterator[IncidentPage]:
    return _pages(lambda token: store.list_by_status(status, since=since, limit=PAGE_SIZE, next_token=token))


def _pages(read: Callable[[str | None], IncidentPage]) -> Iterator[IncidentPage]:
    token: str | None = None
    while True:
        page = read(token)
        yield page
        token = page.next_token
        if token is None:
            return


def _first(pages: Iterator[IncidentPage], limit: int, keep: Callable[[Incident], bool]) -> list[Incident]:
    chosen: list[Incident] = []
    for page in pages:
        chosen.extend(incident for incident in page.incidents if keep(incident))
        if len(chosen) >= limit:
            break
    return chosen[:limit]


def _status_text(incident: Incident) -> Text:
    words = incident.status.value
    if incident.resolution is not None and incident.status is IncidentStatus.RESOLVED:
        words += f" ({incident.resolution.value.replace('_', ' ')})"
    return styled(words, STATUS_STYLES[incident.status])


# ---------------------------------------------------------------------- show
@app.command("show")
def show_incident(
    ctx: typer.Context, incident_id: IncidentId, table: TableOption = None, as_json: JsonOption = False
) -> None:
    """One incident: what was reposted, why, and its whole history."""
    incident = ReviewDesk(_store(ctx), None, _no_restore).incident(incident_id)
    if wants_json(ctx):
        print_json(incident.model_dump(mode="json"))
        return
    now, zone = utc_now(), operator_zone()
    out = stdout()
    facts = new_table("", "", title=f"incident {incident.incident_id}", literal=True)
    facts.show_header = False
    rows: list[tuple[str, str | Text]] = [
        ("status", _status_text(incident)),
        ("account", f"@{incident.account_handle} ({incident.account_id})" if incident.account_handle
         else incident.account_id),
        ("what", f"{incident.kind} of {incident.source_post_url}"
         + (f" by @{incident.source_author_handle}" if incident.source_author_handle else "")),
        ("category", f"{incident.category} (score {incident.score:.2f})"),
        ("detected", when(incident.detected_at, now, zone)),
        ("undone", when(incident.undone_at, now, zone)),
        ("takedown in", duration(incident.time_to_takedown_ms) if incident.time_to_takedown_ms is not None else "-"),
        ("resolved", f"{when(incident.resolved_at, now, zone)} by {incident.resolved_by}" if incident.resolved_at
         else "-"),
    ]  # fmt: skip
    if incident.last_error:
        rows.append(("last error", incident.last_error))
    for name, value in rows:
        facts.add_row(name, value)
    out.print(facts)
    why = new_table("kind", "rule", "weight", "evidence", title="why", literal=True)
    for part in incident.contributions:
        why.add_row(part.kind, part.rule, f"{part.weight:+.2f}" if part.kind != "safeguard" else "hold", part.evidence)
    out.print(why)
    history = new_table("when", "status", "note", title="history", literal=True)
    for change in incident.history:
        history.add_row(when(change.at, now, zone), change.status.value, change.note)
    out.print(history)


# ---------------------------------------------------------------------- resolve
def _no_restore(_account_id: str) -> Retweeter:
    raise ConfigurationError("restoring was not asked for")


@app.command("resolve")
def resolve_incident(
    ctx: typer.Context,
    incident_id: IncidentId,
    confirmed: Annotated[bool, typer.Option("--confirmed", help="the takedown was right")] = False,
    false_positive: Annotated[
        bool, typer.Option("--false-positive", help="the takedown was wrong (needs --reason)")
    ] = False,
    restore: Annotated[
        bool,
        typer.Option(
            "--restore",
            help="with --false-positive: retweet it again on X (needs ACCOUNTS_TABLE, X_CONSUMER_SECRET_ID, "
            "X_ACCOUNT_SECRET_PREFIX; run again to retry if X refuses)",
        ),
    ] = False,
    reason: Annotated[str, typer.Option(help="why it is a false positive (required for --false-positive)")] = "",
    by: Annotated[str, typer.Option(help="who reviewed it (default: your user name)")] = "",
    table: TableOption = None,
    as_json: JsonOption = False,
) -> None:
    """Confirm a takedown, or mark it a false positive (and restore the retweet)."""
    if confirmed == false_positive:
        raise UsageProblemError("say which: --confirmed or --false-positive")
    if restore and not false_positive:
        raise UsageProblemError("only a false positive can be restored: --false-positive --restore")
    reviewer = by.strip() or getpass.getuser()
    store = _store(ctx)
    if restore:
        settings = RestoreSettings.from_env(os.environ)  # before any change: a missing setting changes nothing
        run_of(ctx).tables.append(settings.accounts_table)
        incident = ReviewDesk(store, None, build_restorer(settings)).restore(incident_id, by=reviewer, reason=reason)
    elif confirmed:
        incident = ReviewDesk(store, None, _no_restore).confirm(incident_id, by=reviewer)
    else:
        incident = ReviewDesk(store, None, _no_restore).false_positive(incident_id, by=reviewer, reason=reason)
    if wants_json(ctx):
        print_json({"incident_id": incident.incident_id, "status": incident.status.value})
        return
    stdout().print(Text.assemble(f"incident {incident.incident_id}: ", _status_text(incident)))


# ---------------------------------------------------------------------- export
@app.command("export")
def export_incidents(
    ctx: typer.Context,
    since: SinceOption = "7d",
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="csv (no post text) or json (whole records)")
    ] = ExportFormat.CSV,
    output: Annotated[Path | None, typer.Option(help="write to this file (default: standard output)")] = None,
    table: TableOption = None,
) -> None:
    """Every incident since then, in every status, paged through the table (a progress bar on a terminal)."""
    store = _store(ctx)
    start = parse_since(since, utc_now())
    with ExitStack() as stack:
        target: TextIO = stack.enter_context(output.open("w", encoding="utf-8", newline="")) if output else sys.stdout
        bar = stack.enter_context(progress("exporting incidents"))
        task = bar.add_task("export", total=None)
        writer = _writer(output_format, target)
        count = 0
        for status in IncidentStatus:
            for page in _status_pages(store, status, start):
                for incident in page.incidents:
                    writer(incident)
                    count += 1
                bar.update(task, completed=count)
        writer(None)
    if output:
        stdout().print(said("{} incident(s) written to {}", count, output))


def _writer(output_format: ExportFormat, target: TextIO) -> Callable[[Incident | None], None]:
    """A function that writes one incident, and closes the document when given None."""
    if output_format is ExportFormat.CSV:
        rows = csv.DictWriter(target, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        rows.writeheader()

        def write_row(incident: Incident | None) -> None:
            if incident is not None:
                rows.writerow(_csv_row(incident))

        return write_row
    first = [True]

    def write_record(incident: Incident | None) -> None:
        if incident is None:
            target.write("[]\n" if first[0] else "\n]\n")
            return
        target.write(("[\n" if first[0] else ",\n") + json.dumps(incident.model_dump(mode="json"), ensure_ascii=False))
        first[0] = False

    return write_record


def _csv_row(incident: Incident) -> dict[str, Any]:
    record = incident.model_dump(mode="json")
    record["post_url"] = incident.post_url
    record["rules"] = " ".join(part.rule for part in incident.contributions if part.kind == "rule")
    return {column: "" if record.get(column) is None else record.get(column) for column in CSV_COLUMNS}
