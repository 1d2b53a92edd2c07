"""What a command prints: Rich tables for people, JSON for scripts, times as people read them.

Data goes to stdout, everything else (errors, progress) to stderr. Colour and progress bars appear
only on a terminal (Rich decides, and honours NO_COLOR); JSON is written as plain text, never
through Rich, so it is never wrapped or coloured. A list prints one JSON object per line.

    table = new_table("when", "incident", "status", literal=True)   # cells are data, never markup
    table.add_row(when(incident.detected_at, now), incident.incident_id, styled("undone", "green"))
    stdout().print(said("[bold]{}[/] incidents", count))          # markup, with the values escaped
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from takedown.readable import ago, time_zone

# Piped or redirected output is not folded to 80 columns: one row stays one line for grep and less.
PIPE_WIDTH = 200


def stdout() -> Console:
    """A console on the current sys.stdout (so that tests capturing it see the output)."""
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True)  # a line of text is never folded
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


def print_json_lines(values: Iterable[Any]) -> None:
    for value in values:
        print_json(value)


class DataTable(Table):
    """A table whose string cells are data, shown as they are: a reason such as "per [policy]" is
    never read as Rich markup. Style a cell by passing a Text (see `styled`)."""

    def add_row(self, *cells: RenderableType | None, **options: Any) -> None:
        super().add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in cells), **options)


def styled(value: str, style: str) -> Text:
    return Text(value, style=style)


def said(template: str, *values: object) -> str:
    """Console markup `template` with each {} filled by a value shown as it is (never as markup)."""
    return template.format(*(escape(str(value)) for value in values))


def new_table(*columns: str, title: str | None = None, literal: bool = False) -> Table:
    """A table with these column headers; `literal`: its string cells are data, never read as markup."""
    kind = DataTable if literal else Table
    table = kind(title=title, header_style="bold", title_justify="left", expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def operator_zone() -> tzinfo:
    """TIME_ZONE (an IANA name, as the functions use) when set, else this machine's own zone."""
    name = os.environ.get("TIME_ZONE", "").strip()
    if name:
        return time_zone(name)
    local = datetime.now().astimezone().tzinfo
    return local if local is not None else time_zone(None)


def when(moment: datetime | None, now: datetime, zone: tzinfo | None = None) -> str:
    """'14:02 (3 minutes ago)' today, 'Tue 24 Nov 14:02 (7 days ago)' on another day, with the
    year when it is not this year; '-' when there is no time."""
    if moment is None:
        return "-"
    zone = zone or operator_zone()
    local, today = moment.astimezone(zone), now.astimezone(zone)
    if local.date() == today.date():
        clock = f"{local:%H:%M}"
    elif local.year == today.year:
        clock = f"{local:%a} {local.day} {local:%b %H:%M}"
    else:
        clock = f"{local.day} {local:%b %Y %H:%M}"
    return f"{clock} ({ago(moment, now)})"


def progress(total_label: str) -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal."""
    console = stderr()
    return Progress(
        TextColumn(total_label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
