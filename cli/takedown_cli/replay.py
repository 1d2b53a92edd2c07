"""`takedown replay --from WHEN [--to WHEN]`: X delivers a window of the webhook's events again.

For catching up after deliveries were lost (an outage, a webhook X marked invalid). X replays the
last 24 hours only, to the minute, for every event it delivered or tried to deliver to the webhook
(both APIs: the replay is the webhook's); a window outside that is refused here, before X is asked.
What is replayed goes through the webhook like any delivery, and inspection's ledger and the
incidents' ids keep a post that was already inspected from being acted on twice.

WHEN is an ISO 8601 time with its zone (`2026-12-01T09:30Z`, `2026-12-01T10:30+01:00`), `now`,
or a time ago (`90m`, `2h`, `1h30m`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from takedown.clock import utc_now
from takedown.x_subscriptions import ReplayWindow
from takedown_cli.errors import UsageProblemError
from takedown_cli.options import JsonOption, wants_json
from takedown_cli.output import print_json, stdout
from takedown_cli.x_app import WebhookIdOption, connect, x_refusals

_AGO = re.compile(r"^(?:(?P<hours>\d{1,3})h)?(?:(?P<minutes>\d{1,4})m)?$")
WHEN_HELP = "ISO 8601 with its zone (2026-12-01T09:30Z), 'now', or a time ago (90m, 2h, 1h30m)"


def register(root: typer.Typer) -> None:
    root.command("replay")(replay)


def parse_when(value: str, now: datetime, option: str) -> datetime:
    """A point in time as an operator writes it; UsageProblemError saying how, otherwise."""
    text = value.strip()
    if text.lower() == "now":
        return now
    ago = _AGO.fullmatch(text.lower())
    if ago and text:
        return now - timedelta(hours=int(ago["hours"] or 0), minutes=int(ago["minutes"] or 0))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageProblemError(f"{option} {text[:40]!r} is not a time: give {WHEN_HELP}") from None
    if moment.tzinfo is None:
        raise UsageProblemError(f"{option} {text[:40]!r} has no time zone: add Z for UTC, or +01:00")
    return moment


def replay(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help=f"the window's first minute: {WHEN_HELP}")],
    end: Annotated[str, typer.Option("--to", help="the window's last minute (default: now)")] = "now",
    webhook_id: WebhookIdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask X to deliver the webhook's events of a window again (at most 24 hours back)."""
    now = utc_now()
    with x_refusals():
        window = ReplayWindow.checked(parse_when(start, now, "--from"), parse_when(end, now, "--to"), now)
        x_app = connect()
        job = x_app.x.replay(x_app.webhook_id(webhook_id), window.start, window.end)
    if wants_json(ctx):
        print_json(
            {
                "job_id": job.job_id,
                "created_at": job.created_at,
                "from": job.window.start.isoformat(),
                "to": job.window.end.isoformat(),
            }
        )
        return
    first, last = (
        moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") for moment in (job.window.start, job.window.end)
    )
    stdout().print(
        f"replay job {job.job_id}: X redelivers {first} to {last} to the webhook, then says it has "
        "finished (a replay_job_status delivery); one job at a time per webhook"
    )
