"""`takedown`: the ops command (Typer and Rich). Run `takedown --help`; exit codes: takedown_cli/errors.py.

Developer tooling (the local stack, stand-ins, demo, sample events) is `takedown-local`, a separate
package under local/: this command imports none of it.

How a module adds a command (one module per command or group, in cli/takedown_cli/):

    # cli/takedown_cli/webhook.py
    app = typer.Typer(help="the X webhook registration", no_args_is_help=True)

    @app.command("show")
    def show(ctx: typer.Context, as_json: JsonOption = False) -> None:
        \"\"\"What X has registered.\"\"\"           # the docstring is the command's help
        ...                                        # raise, never print a traceback or sys.exit

    def register(root: typer.Typer) -> None:
        root.add_typer(app, name="webhook")

then add the module to COMMAND_MODULES below. A module can also add a command to another's group
(`accounts.app.command("subscribe")(subscribe)` in its own register). Give every option a help text
(`typer.Option(help=...)`); print data with takedown_cli.output (a Rich table, or JSON with --json;
`new_table(..., literal=True)` so that data such as a reason is never read as markup, `styled` to
colour a cell, `said` to put values in a markup message);
fail by raising: a CommandError (takedown_cli.errors) with its exit code, or the library's own
exceptions, which `errors.explain` already maps. `main` prints the one line and returns the code.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer
from rich.markup import escape

from takedown_cli import (
    accounts,
    breaker,
    classify,
    incidents,
    kill_switch,
    links,
    replay,
    subscriptions,
    sweep,
    webhook,
)
from takedown_cli.errors import ExitCode, explain
from takedown_cli.model import commands as model
from takedown_cli.options import Run, run_of
from takedown_cli.output import stderr

# Each module has register(root), which adds its command or group to the root app.
COMMAND_MODULES = (
    accounts, breaker, classify, incidents, kill_switch, links, model, replay, subscriptions, sweep, webhook
)  # fmt: skip
DEBUG_FLAG = "--debug"

app = typer.Typer(
    name="takedown",
    help="Takedown's ops command: review incidents, change accounts, check posts and links.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # main() explains every failure in one line
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(shown: bool) -> None:
    if shown:
        try:
            number = version("takedown")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown"
        sys.stdout.write(f"takedown {number}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    _show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit"),
    ] = False,
    _debug: Annotated[
        bool,
        typer.Option(DEBUG_FLAG, help="on an unexpected error, print the traceback too (in any position)"),
    ] = False,
) -> None:
    """Takedown's ops command: review incidents, change accounts, check posts and links."""
    run_of(ctx).command = ctx.invoked_subcommand or ""


for _module in COMMAND_MODULES:
    _module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr and an exit code (takedown_cli.errors)."""
    args = list(sys.argv[1:] if argv is None else argv)
    end = args.index("--") if "--" in args else len(args)
    run = Run(debug=DEBUG_FLAG in args[:end])
    args = [arg for arg in args[:end] if arg != DEBUG_FLAG] + args[end:]
    try:
        app(args=args, prog_name="takedown", obj=run)
    except SystemExit as done:  # Typer ends every run so; usage errors are printed by it (exit 2)
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - the one place every failure is explained
        return _report(error, run)
    return ExitCode.OK


def _report(error: BaseException, run: Run) -> int:
    code, message = explain(error, tuple(dict.fromkeys(run.tables)))
    if run.debug and code is ExitCode.UNEXPECTED:
        traceback.print_exception(error, file=sys.stderr)
    prefix = f"takedown {run.command}" if run.command else "takedown"
    stderr().print(f"[red]{prefix}:[/red] {escape(message)}", highlight=False)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
