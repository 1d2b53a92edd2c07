"""Options every command group shares, and where their values come from.

A group's options work in any position: `takedown incidents --table T list` and `takedown incidents
list --table T` are the same, the value nearest the command winning, then the environment.

    @app.command("show")
    def show(ctx: typer.Context, table: TableOption = None, as_json: JsonOption = False) -> None:
        store = build_incident_store(table_name(ctx, "INCIDENTS_TABLE"))
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Annotated

import typer

from takedown_cli.errors import SettingMissingError

TableOption = Annotated[
    str | None,
    typer.Option("--table", help="the table to use (default: the environment variable the group names)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table (one object per line)")]


@dataclass
class Run:
    """One invocation's state, shared by every context (ctx.obj): what `main` needs to explain a failure."""

    debug: bool = False
    command: str = ""  # the top-level command run, e.g. "incidents": the prefix of every error line
    tables: list[str] = field(default_factory=list)  # the tables used, named if AWS says one does not exist


def run_of(ctx: typer.Context) -> Run:
    if not isinstance(ctx.obj, Run):
        ctx.obj = Run()
    return ctx.obj


def option_value(ctx: typer.Context, name: str) -> object:
    """The option `name` as given nearest the command (the command's own, then each group's), or None."""
    current: typer.Context | None = ctx
    while current is not None:
        value = current.params.get(name)
        if value not in (None, False):
            return value
        current = current.parent  # type: ignore[assignment]
    return None


def table_name(ctx: typer.Context, variable: str) -> str:
    """--table (anywhere on the command line), else the environment variable `variable`."""
    name = str(option_value(ctx, "table") or os.environ.get(variable, "")).strip()
    if not name:
        raise SettingMissingError(f"which table? set --table or {variable}")
    run_of(ctx).tables.append(name)
    return name


def wants_json(ctx: typer.Context) -> bool:
    return bool(option_value(ctx, "as_json"))
