"""`takedown breaker show|reset`: what the circuit breaker switched to monitor, and switching it back.

The breaker holds a rule (or, with the kill switch, all of Takedown) in monitor after too many undos
in a short time, and waits for a person. Check the recent incidents first (`takedown incidents
list --status monitored`), then reset the rule, or everything with `--all`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from takedown.wiring import build_policy_store
from takedown_cli.errors import NotFoundError, UsageProblemError
from takedown_cli.options import JsonOption, TableOption, table_name, wants_json
from takedown_cli.output import new_table, print_json, said, stdout

ACCOUNTS_TABLE = "ACCOUNTS_TABLE"

app = typer.Typer(
    help="What the circuit breaker holds in monitor, and switching it back. Table: --table or ACCOUNTS_TABLE.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="breaker")


@app.callback()
def breaker(table: TableOption = None, as_json: JsonOption = False) -> None:
    """What the circuit breaker holds in monitor, and switching it back. Table: --table or ACCOUNTS_TABLE."""


@app.command("show")
def show(ctx: typer.Context, table: TableOption = None, as_json: JsonOption = False) -> None:
    """The rules held in monitor and the kill switch."""
    settings = build_policy_store(table_name(ctx, ACCOUNTS_TABLE)).settings()
    if wants_json(ctx):
        print_json(
            {
                "kill_switch": settings.kill_switch,
                "kill_switch_reason": settings.kill_switch_reason,
                "monitored_rules": sorted(settings.monitored_rules),
            }
        )
        return
    out = stdout()
    reason = settings.kill_switch_reason or "no reason given"
    out.print(said("kill switch: [bold red]on[/] ({})", reason) if settings.kill_switch else "kill switch: off")
    if not settings.monitored_rules:
        out.print("no rule is held in monitor")
        return
    held = new_table("rule held in monitor", literal=True)
    for rule in sorted(settings.monitored_rules):
        held.add_row(rule)
    out.print(held)


@app.command("reset")
def reset(
    ctx: typer.Context,
    rule: Annotated[str | None, typer.Option(help="the rule id the Teams card named")] = None,
    every: Annotated[bool, typer.Option("--all", help="every held rule, and the kill switch off")] = False,
    table: TableOption = None,
    as_json: JsonOption = False,
) -> None:
    """Switch a held rule, or everything, back to enforce."""
    if (rule is None) == (not every):
        raise UsageProblemError("say which: --rule RULE or --all")
    policies = build_policy_store(table_name(ctx, ACCOUNTS_TABLE))
    held = policies.settings().monitored_rules
    if every:
        released = sorted(held)
        for name in released:
            policies.set_rule_monitored(name, monitored=False)
        policies.set_kill_switch(False)
        done = f"switched back: {len(held)} rule(s) and the kill switch"
    elif rule not in held:
        raise NotFoundError(f"rule {rule} is not held in monitor")
    else:
        released = [str(rule)]
        policies.set_rule_monitored(str(rule), monitored=False)
        done = said("switched back: {}", rule)
    if wants_json(ctx):
        print_json({"released_rules": released, "kill_switch": policies.settings().kill_switch})
        return
    stdout().print(done)
