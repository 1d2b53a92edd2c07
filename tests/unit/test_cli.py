"""The `takedown` command as a whole: help for every command and option, --version, completion,
options in any position, and every failure as one line on stderr with its own exit code (never a
traceback, unless --debug asks for one on an unexpected error)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from zoneinfo import ZoneInfo

import pytest
import typer
from botocore.exceptions import ClientError

from takedown.incidents.model import IncidentStatus
from takedown_cli import incidents
from takedown_cli.errors import ExitCode
from takedown_cli.main import app, main
from takedown_cli.output import when
from tests.conftest import ROOT
from tests.unit.cli_world import ACCOUNT, World, world

__all__ = ["world"]  # the fixture


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    """Every command and group under the root, with its path."""
    found = [(path, group)]
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found.extend(commands(command, (*path, name)))
    return found


ROOT_COMMAND = typer.main.get_command(app)
EVERY_COMMAND = commands(ROOT_COMMAND)


def test_the_commands_ops_need_are_all_there() -> None:
    paths = {" ".join(path) for path, _ in EVERY_COMMAND}
    assert {
        "breaker show", "breaker reset", "classify", "incidents list", "incidents show", "incidents resolve",
        "incidents export", "links check", "model train", "model evaluate", "accounts list", "accounts show",
        "accounts set-mode", "accounts trust", "accounts untrust", "kill-switch on", "kill-switch off",
    } <= paths  # fmt: skip


@pytest.mark.parametrize("path", [path for path, _ in EVERY_COMMAND], ids=lambda path: " ".join(path) or "takedown")
def test_every_command_has_help_and_every_option_says_what_it_does(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    command = dict(EVERY_COMMAND)[path]
    assert (getattr(command, "help", None) or "").strip(), f"{path} has no help text"
    for param in getattr(command, "params", []):
        if param.param_type_name == "option":
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts} has no help text"
        else:
            assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)} argument {param.name} has no help"
    code, out, err = run(capsys, *path, "--help")
    assert (code, err) == (0, "")
    assert "Usage: takedown" in out and "--help" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"takedown {version('takedown')}\n", "")


def test_no_command_shows_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == ExitCode.USAGE and "incidents" in out + err and "Traceback" not in out + err


def test_usage_errors_exit_2_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (("incidents", "list", "--colour"), ("no-such-command",), ("incidents", "list", "--limit", "0")):
        code, out, err = run(capsys, *argv)
        assert code == ExitCode.USAGE, argv
        assert "Traceback" not in out + err and "Usage: takedown" in err


def test_completion_script_and_completions() -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "cli"), str(ROOT / "layers/takedown")])}
    script = subprocess.run(
        [sys.executable, "-m", "takedown_cli.main", "--show-completion", "bash"],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert script.returncode == 0 and "_TAKEDOWN_COMPLETE" in script.stdout
    completed = subprocess.run(
        [sys.executable, "-m", "takedown_cli.main"],
        capture_output=True, text=True, check=False,
        env={**environment, "_TAKEDOWN_COMPLETE": "complete_bash", "COMP_WORDS": "takedown inc", "COMP_CWORD": "1"},
    )  # fmt: skip
    assert completed.returncode == 0 and completed.stdout.split() == ["incidents"]
    statuses = subprocess.run(
        [sys.executable, "-m", "takedown_cli.main"],
        capture_output=True, text=True, check=False,
        env={**environment, "_TAKEDOWN_COMPLETE": "complete_bash",
             "COMP_WORDS": "takedown incidents list --status undo", "COMP_CWORD": "4"},
    )  # fmt: skip
    assert statuses.stdout.split() == ["undone", "undo_failed"]


# ---------------------------------------------------------------------- options in any position
def test_options_work_in_any_position(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    made = world.incident("1900000000000000101", IncidentStatus.UNDONE)
    table = world.incidents_table
    monkeypatch.delenv("INCIDENTS_TABLE")
    orders = (
        ("incidents", "--table", table, "list", "--json", "--status", "undone"),
        ("incidents", "list", "--json", "--table", table, "--status", "undone"),
        ("incidents", "list", "--status", "undone", "--table", table, "--json", "--debug"),
        ("--debug", "incidents", "list", "--table", table, "--json", "--status", "undone"),
        ("incidents", "--json", "--table", table, "list", "--status", "undone"),
    )
    for argv in orders:
        ran = world.run(*argv)
        assert ran.code == 0, (argv, ran.err)
        assert [r["incident_id"] for r in ran.json_lines()] == [made.incident_id], argv
    shown = world.run("incidents", "show", "--json", made.incident_id, "--table", table)
    assert json.loads(shown.out)["incident_id"] == made.incident_id
    for argv in (("accounts", "--json", "list"), ("kill-switch", "--json", "show"), ("breaker", "--json", "show")):
        ran = world.run(*argv)
        assert ran.code == 0 and ran.json_lines(), argv


def test_json_output_parses_for_every_command_that_prints_data(world: World) -> None:
    made = world.incident("1900000000000000102", IncidentStatus.UNDONE)
    outputs = {
        "incidents list": world.run("incidents", "list", "--json").out,
        "incidents show": world.run("incidents", "show", made.incident_id, "--json").out,
        "accounts list": world.run("accounts", "list", "--json").out,
        "accounts show": world.run("accounts", "show", ACCOUNT, "--json").out,
        "kill-switch show": world.run("kill-switch", "show", "--json").out,
        "breaker show": world.run("breaker", "show", "--json").out,
    }
    for name, out in outputs.items():
        lines = [line for line in out.splitlines() if line.strip()]
        assert lines, name
        for line in lines:
            json.loads(line)


def test_colour_only_on_a_terminal(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.incident("1900000000000000103", IncidentStatus.UNDO_FAILED)
    assert "\x1b[" not in world.run("incidents", "list").out
    monkeypatch.setenv("FORCE_COLOR", "1")  # what Rich reads when stdout is a terminal-like pipe
    assert "\x1b[" in world.run("incidents", "list").out
    assert "\x1b[" not in world.run("incidents", "list", "--json").out  # JSON never


def test_times_are_local_and_relative() -> None:
    now = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
    london = ZoneInfo("Europe/London")
    assert when(now - timedelta(minutes=3), now, london) == "14:02 (3 minutes ago)"
    assert when(now - timedelta(days=7), now, london) == "Tue 24 Nov 14:05 (7 days ago)"
    assert when(datetime(2025, 7, 1, 9, 0, tzinfo=UTC), now, london) == "1 Jul 2025 10:00 (518 days ago)"
    assert when(now - timedelta(minutes=3), now, ZoneInfo("America/New_York")) == "09:02 (3 minutes ago)"
    assert when(None, now, london) == "-"


# ---------------------------------------------------------------------- failures, each its own code
def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_stopped_stack_is_unreachable(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    for argv in (("incidents", "list"), ("accounts", "list"), ("kill-switch", "on", "--reason", "x")):
        code, out, err = run(capsys, *argv, "--table", "takedown-incidents")
        assert code == ExitCode.UNREACHABLE, (argv, err)
        [line] = err.splitlines()
        assert line.startswith(f"takedown {argv[0]}: cannot reach AWS") and "is the stack running" in line
        assert "Traceback" not in out + err


def test_a_wrong_table_name_is_a_configuration_error(world: World) -> None:
    for argv in (("incidents", "list"), ("incidents", "show", "x"), ("accounts", "list"), ("breaker", "show")):
        ran = world.run(*argv, "--table", "no-such-table")
        assert ran.code == ExitCode.CONFIGURATION, (argv, ran.err)
        [line] = ran.err.splitlines()
        assert "table no-such-table does not exist" in line and "Traceback" not in ran.err


def test_a_table_not_set_is_a_configuration_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTS_TABLE")
    monkeypatch.delenv("ACCOUNTS_TABLE")
    assert world.run("incidents", "list").err == "takedown incidents: which table? set --table or INCIDENTS_TABLE\n"
    assert world.run("accounts", "list").code == ExitCode.CONFIGURATION
    assert world.run("breaker", "show").err == "takedown breaker: which table? set --table or ACCOUNTS_TABLE\n"


def test_an_unexpected_error_is_one_line_and_the_traceback_only_under_debug(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_table: str) -> object:
        raise RuntimeError("the disk fell off")

    monkeypatch.setattr(incidents, "build_incident_store", broken)
    ran = world.run("incidents", "list")
    assert ran.code == ExitCode.UNEXPECTED
    assert ran.err.splitlines() == [
        "takedown incidents: unexpected error: RuntimeError: the disk fell off (run again with --debug to see where)"
    ]
    debugged = world.run("incidents", "list", "--debug")
    assert debugged.code == ExitCode.UNEXPECTED
    assert "Traceback" in debugged.err and "the disk fell off" in debugged.err.splitlines()[-1]


def test_aws_refusing_is_its_own_code(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(_table: str) -> object:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "Query")

    monkeypatch.setattr(incidents, "build_incident_store", refused)
    ran = world.run("incidents", "list")
    assert (ran.code, ran.err) == (
        ExitCode.AWS_REFUSED,
        "takedown incidents: AWS refused: AccessDeniedException: not allowed\n",
    )
