"""`takedown kill-switch show|on|off --reason`: stop every undo everywhere at once, and start again.

The same switch as the console's Accounts page (`AccountAdmin.set_kill_switch`): detections are
still recorded and reported while it is on; every change needs a reason and goes in the audit log.
Table: --table or ACCOUNTS_TABLE.
"""

from __future__ import annotations

import typer

from takedown.policy import GLOBAL_SETTINGS_ID
from takedown_cli.accounts import ByOption, ReasonOption, account_admin, print_audit, reviewer
from takedown_cli.options import JsonOption, TableOption, wants_json
from takedown_cli.output import print_json, said, stdout

app = typer.Typer(
    help="Stop every undo everywhere at once (on), or go back to each account's mode (off).", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="kill-switch")


@app.callback()
def kill_switch(table: TableOption = None, as_json: JsonOption = False) -> None:
    """Stop every undo everywhere at once (on), or go back to each account's mode (off)."""


@app.command("show")
def show(ctx: typer.Context, table: TableOption = None, as_json: JsonOption = False) -> None:
    """Whether the kill switch is on, why, and its recent changes."""
    admin = account_admin(ctx)
    switch = admin.kill_switch()
    changes = [entry for entry in admin.audit() if entry.account_id == GLOBAL_SETTINGS_ID]
    if wants_json(ctx):
        print_json(
            {"on": switch.on, "reason": switch.reason, "audit": [entry.model_dump(mode="json") for entry in changes]}
        )
        return
    state = said("[bold red]on[/]: nothing is undone anywhere ({})", switch.reason) if switch.on else "off"
    stdout().print(f"kill switch: {state}")
    print_audit(changes, "changes (this month and last)")


def _switch(ctx: typer.Context, on: bool, reason: str, by: str) -> None:
    switch = account_admin(ctx).set_kill_switch(on, by=reviewer(by), reason=reason)
    if wants_json(ctx):
        print_json({"on": switch.on, "reason": switch.reason})
        return
    words = "on: nothing is undone anywhere until it is off" if switch.on else "off: each account's mode applies"
    stdout().print(f"kill switch {words} (recorded in the audit log)")


@app.command("on")
def switch_on(
    ctx: typer.Context, reason: ReasonOption, by: ByOption = "", table: TableOption = None, as_json: JsonOption = False
) -> None:
    """Stop every undo everywhere (detections are still recorded and reported)."""
    _switch(ctx, True, reason, by)


@app.command("off")
def switch_off(
    ctx: typer.Context, reason: ReasonOption, by: ByOption = "", table: TableOption = None, as_json: JsonOption = False
) -> None:
    """Undo again, as each account's mode says (check the recent incidents first)."""
    _switch(ctx, False, reason, by)
