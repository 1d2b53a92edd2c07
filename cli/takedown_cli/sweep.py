"""`takedown sweep [--account ID]...`: sweep accounts for lost webhooks now, and say what was found.

The same sweep the reconcile function runs on its schedule (takedown.sweep): each account's posts on
X since its checkpoint, every repost the inspection ledger does not know sent to the inspect queue.
Use it after fixing an account's credentials or a webhook, rather than waiting for the schedule.
Settings from the environment, as the function's (the local stack's ready line prints them):
ACCOUNTS_TABLE, CONTROL_TABLE, INSPECTION_LEDGER_TABLE, INSPECT_QUEUE_URL, X_CONSUMER_SECRET_ID,
X_ACCOUNT_SECRET_PREFIX, X_API_BASE_URL and the EVIDENCE_* of the evidence bucket.

Exit code: 0 when every account was swept; else that of the first failure (3 credentials missing,
4 X did not answer or rate-limited, 7 X refused, 8 AWS refused the queue, the evidence bucket or a
table).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from takedown.settings import ReconcileSettings
from takedown.sweep import AccountSweep, SweepFailure
from takedown.wiring import build_sweeper
from takedown_cli.errors import CommandError, ExitCode
from takedown_cli.options import JsonOption, run_of, wants_json
from takedown_cli.output import new_table, print_json_lines, stdout

_EXIT_CODES: dict[SweepFailure, ExitCode] = {
    "credentials": ExitCode.CONFIGURATION,
    "auth": ExitCode.X_REFUSED,
    "credits": ExitCode.X_REFUSED,
    "refused": ExitCode.X_REFUSED,
    "rate_limited": ExitCode.UNREACHABLE,
    "unavailable": ExitCode.UNREACHABLE,
    "enqueue": ExitCode.AWS_REFUSED,
    "evidence": ExitCode.AWS_REFUSED,
    "aws": ExitCode.AWS_REFUSED,
}

AccountOption = Annotated[
    list[str] | None,
    typer.Option("--account", help="an account id to sweep (repeatable; default: every account)", show_default=False),
]


def register(root: typer.Typer) -> None:
    root.command("sweep")(sweep)


def sweep(ctx: typer.Context, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """Sweep accounts for reposts whose webhook never came, now (as the schedule does)."""
    named = list(dict.fromkeys(account or []))
    for account_id in named:
        if not account_id.isdecimal():
            raise CommandError(f"--account {account_id[:40]!r} is not an X account id (digits)", ExitCode.USAGE)
    settings = ReconcileSettings.from_env(os.environ)
    run_of(ctx).tables.extend([settings.accounts_table, settings.control_table, settings.ledger_table])
    reports = build_sweeper(settings).sweep(only=set(named) if named else None)
    missing = sorted(set(named) - {report.account_id for report in reports})
    if missing:
        raise CommandError(f"no account {', '.join(missing)} in the accounts table", ExitCode.NOT_FOUND)
    if wants_json(ctx):
        print_json_lines(_as_json(report) for report in reports)
    else:
        _print(reports)
    failed = [(report, report.failure) for report in reports if report.failure is not None]
    if failed:
        (first, failure) = failed[0]
        raise CommandError(
            f"the sweep of {len(failed)} of {len(reports)} accounts failed; {first.account_id}: {first.error}",
            _EXIT_CODES[failure],
        )


def _as_json(report: AccountSweep) -> dict[str, object]:
    return {
        "account_id": report.account_id,
        "outcome": report.outcome,
        "since_id": report.since_id,
        "posts_read": report.posts_read,
        "reposts": report.reposts,
        "enqueued": report.enqueued,
        "already_inspected": report.already_inspected,
        "held_back": report.held_back,
        "failure": report.failure,
        "error": report.error,
    }


def _print(reports: list[AccountSweep]) -> None:
    table = new_table("account", "outcome", "new posts", "reposts", "sent", "known", "held back", "checkpoint")
    for report in reports:
        outcome = "swept" if report.failure is None else f"[red]failed[/]: {report.failure}"
        table.add_row(
            report.account_id,
            outcome,
            str(report.posts_read),
            str(report.reposts),
            str(report.enqueued),
            str(report.already_inspected),
            str(report.held_back),
            report.since_id or "-",
        )
    console = stdout()
    console.print(table)
    sent = sum(report.enqueued for report in reports)
    console.print(f"{sent} repost(s) sent to inspection; 'known' were already inspected, 'held back' wait a minute")
