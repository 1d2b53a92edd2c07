"""`takedown incidents list|show|resolve|export` on moto's DynamoDB and the X stand-in: every status
listed by default, the filters, JSON that parses, and resolving and restoring that never strands an
incident (X first, then the record; a failure leaves a state the same command finishes)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from takedown.incidents.model import IncidentStatus, Resolution
from takedown_cli import incidents
from tests.unit.cli_world import ACCOUNT, OTHER_ACCOUNT, SECRET_PREFIX, TOKEN, Ran, World, source_of, world

__all__ = ["world"]  # the fixture

_S = IncidentStatus


def restore_calls(world: World, account: str = ACCOUNT) -> list[dict]:
    return [c for c in world.x.calls if c["method"] == "POST" and c["path"] == f"/2/users/{account}/retweets"]


def one_line_error(ran: Ran, code: int, *words: str) -> None:
    assert ran.code == code, (ran.code, ran.err)
    assert "Traceback" not in ran.err + ran.out
    lines = ran.err.splitlines()
    assert len(lines) == 1, ran.err
    assert lines[0].startswith("takedown incidents: ")
    for word in words:
        assert word in lines[0], (word, lines[0])


# ---------------------------------------------------------------------- list
def test_list_shows_every_status_by_default(world: World) -> None:
    now = datetime.now(UTC)
    made = {
        status: world.incident(f"190000000000000001{i}", status, detected=now - timedelta(minutes=10 + i))
        for i, status in enumerate((_S.UNDONE, _S.UNDO_FAILED, _S.MONITORED, _S.RESOLVED, _S.DETECTED))
    }
    listed = world.run("incidents", "list", "--json")
    assert listed.code == 0
    records = listed.json_lines()
    assert [r["incident_id"] for r in records] == [i.incident_id for i in made.values()]  # newest first
    assert {r["status"] for r in records} == {"undone", "undo_failed", "monitored", "resolved", "detected"}

    table = world.run("incidents", "list")
    assert table.code == 0 and "\x1b[" not in table.out  # no colour when stdout is not a terminal
    for header in ("detected", "incident", "account", "status", "takedown in"):
        assert header in table.out
    assert "undo_failed" in table.out and "monitored" in table.out and "@SussexPolice" in table.out
    assert "(10 minutes ago)" in table.out and "3.0 seconds" in table.out


def test_list_filters_by_status_account_since_and_limit(world: World) -> None:
    now = datetime.now(UTC)
    world.incident("1900000000000000021", _S.UNDONE, detected=now - timedelta(days=3))
    world.incident("1900000000000000022", _S.MONITORED, detected=now - timedelta(hours=2))
    world.incident("1900000000000000023", _S.MONITORED, account=OTHER_ACCOUNT, detected=now - timedelta(hours=1))
    world.incident("1900000000000000024", _S.UNDO_FAILED, detected=now - timedelta(days=10))

    def ids(*argv: str) -> list[str]:
        ran = world.run("incidents", "list", "--json", *argv)
        assert ran.code == 0, ran.err
        return [r["post_id"][-2:] for r in ran.json_lines()]

    assert ids("--status", "monitored") == ["23", "22"]
    assert ids("--status", "monitored", "--status", "undo_failed") == ["23", "22", "24"]
    assert ids("--account", ACCOUNT) == ["22", "21", "24"]
    assert ids("--account", ACCOUNT, "--status", "undone") == ["21"]
    assert ids("--since", "7d") == ["23", "22", "21"]
    assert ids("--since", "90m") == ["23"]
    since = (now - timedelta(days=4)).isoformat()
    assert ids("--since", since, "--account", ACCOUNT) == ["22", "21"]
    assert ids("--limit", "2") == ["23", "22"]


def test_list_reads_page_after_page(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incidents, "PAGE_SIZE", 2)
    now = datetime.now(UTC)
    for i in range(7):
        world.incident(f"19000000000000003{i}", _S.UNDONE, detected=now - timedelta(minutes=i))
    assert len(world.run("incidents", "list", "--json", "--limit", "5").json_lines()) == 5
    assert len(world.run("incidents", "list", "--json", "--account", ACCOUNT).json_lines()) == 7


def test_a_bad_since_or_status_is_a_usage_error(world: World) -> None:
    one_line_error(world.run("incidents", "list", "--since", "last tuesday"), 2, "--since", "7d")
    bad = world.run("incidents", "list", "--status", "gone")
    assert bad.code == 2 and "Traceback" not in bad.err and "gone" in bad.err


# ---------------------------------------------------------------------- show
def test_show_as_a_table_and_as_json(world: World) -> None:
    made = world.incident("1900000000000000041", _S.UNDONE)
    shown = world.run("incidents", "show", made.incident_id)
    assert shown.code == 0
    for words in ("@SussexPolice", "illegal_stream", "stream.site.name", "history", "undone", "3.0 seconds"):
        assert words in shown.out
    record = json.loads(world.run("incidents", "show", made.incident_id, "--json").out)
    assert record["incident_id"] == made.incident_id and record["status"] == "undone"
    assert [change["status"] for change in record["history"]] == ["detected", "undone"]


def test_an_unknown_incident_is_not_found(world: World) -> None:
    one_line_error(world.run("incidents", "show", "1000000000000000001#404"), 5, "no incident 1000000000000000001#404")
    resolved = world.run("incidents", "resolve", "no-such-id", "--confirmed")
    one_line_error(resolved, 5, "no incident no-such-id")


# ---------------------------------------------------------------------- resolve
def test_confirm_then_resolving_twice_is_a_conflict(world: World) -> None:
    made = world.incident("1900000000000000051", _S.UNDONE)
    first = world.run("incidents", "resolve", made.incident_id, "--confirmed", "--by", "rita", "--json")
    assert first.code == 0 and json.loads(first.out) == {"incident_id": made.incident_id, "status": "resolved"}
    stored = world.store.get(made.incident_id)
    assert stored and stored.resolution is Resolution.CONFIRMED and stored.resolved_by == "rita"
    again = world.run("incidents", "resolve", made.incident_id, "--false-positive", "--reason", "second thoughts")
    one_line_error(again, 6, "resolved as confirmed")
    assert world.store.get(made.incident_id).resolution is Resolution.CONFIRMED  # type: ignore[union-attr]


def test_a_false_positive_needs_a_reason_and_records_it(world: World) -> None:
    made = world.incident("1900000000000000052", _S.MONITORED)
    one_line_error(world.run("incidents", "resolve", made.incident_id, "--false-positive"), 2, "reason is required")
    assert world.store.get(made.incident_id).status is _S.MONITORED  # type: ignore[union-attr]
    done = world.run("incidents", "resolve", made.incident_id, "--false-positive", "--reason", "a charity fight")
    assert done.code == 0 and "resolved (false positive)" in done.out
    assert world.store.get(made.incident_id).history[-1].note.endswith(": a charity fight")  # type: ignore[union-attr]


def test_resolve_needs_exactly_one_outcome(world: World) -> None:
    made = world.incident("1900000000000000053", _S.UNDONE)
    one_line_error(world.run("incidents", "resolve", made.incident_id), 2, "--confirmed or --false-positive")
    both = world.run("incidents", "resolve", made.incident_id, "--confirmed", "--restore")
    one_line_error(both, 2, "only a false positive can be restored")


def test_restore_retweets_first_then_records_and_never_twice(world: World) -> None:
    made = world.incident("1900000000000000061", _S.UNDONE)
    argv = ("incidents", "resolve", made.incident_id, "--false-positive", "--restore", "--reason", "licensed")
    done = world.run(*argv, "--json")
    assert done.code == 0 and json.loads(done.out) == {"incident_id": made.incident_id, "status": "restored"}
    assert source_of("1900000000000000061") in world.x.retweeted_by(ACCOUNT)
    assert [c["status"] for c in restore_calls(world)] == [200]
    twice = world.run(*argv)
    one_line_error(twice, 6, "already restored")
    assert len(restore_calls(world)) == 1


def test_restore_with_a_setting_missing_changes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    made = world.incident("1900000000000000062", _S.UNDONE)
    monkeypatch.delenv("X_ACCOUNT_SECRET_PREFIX")
    argv = ("incidents", "resolve", made.incident_id, "--false-positive", "--restore", "--reason", "licensed")
    one_line_error(world.run(*argv), 3, "X_ACCOUNT_SECRET_PREFIX")
    assert world.store.get(made.incident_id).status is _S.UNDONE  # type: ignore[union-attr]
    assert restore_calls(world) == []


def test_x_refusing_leaves_a_false_positive_the_same_command_restores(world: World) -> None:
    made = world.incident("1900000000000000063", _S.UNDONE)
    argv = ("incidents", "resolve", made.incident_id, "--false-positive", "--restore", "--reason", "licensed")
    world.x.fail_next(403)
    refused = world.run(*argv)
    one_line_error(refused, 7, "X did not retweet it", "try restoring again")
    stored = world.store.get(made.incident_id)
    assert stored and stored.status is _S.RESOLVED and stored.resolution is Resolution.FALSE_POSITIVE
    retried = world.run(*argv, "--json")
    assert retried.code == 0 and json.loads(retried.out)["status"] == "restored"
    assert [c["status"] for c in restore_calls(world)] == [403, 200]


def test_x_down_is_unreachable_and_retryable(world: World) -> None:
    made = world.incident("1900000000000000064", _S.UNDONE)
    argv = ("incidents", "resolve", made.incident_id, "--false-positive", "--restore", "--reason", "licensed")
    world.x.fail_next(503)
    one_line_error(world.run(*argv), 4, "X did not retweet it")
    assert world.run(*argv).code == 0
    assert world.store.get(made.incident_id).status is _S.RESTORED  # type: ignore[union-attr]


def test_missing_x_credentials_leave_a_retryable_false_positive(world: World) -> None:
    made = world.incident("1900000000000000065", _S.UNDONE)
    world.secrets.delete_secret(SecretId=f"{SECRET_PREFIX}{ACCOUNT}", ForceDeleteWithoutRecovery=True)  # type: ignore[attr-defined]
    argv = ("incidents", "resolve", made.incident_id, "--false-positive", "--restore", "--reason", "licensed")
    one_line_error(world.run(*argv), 3, "X did not retweet it", f"{SECRET_PREFIX}{ACCOUNT}")
    assert world.store.get(made.incident_id).resolution is Resolution.FALSE_POSITIVE  # type: ignore[union-attr]
    world.secrets.create_secret(Name=f"{SECRET_PREFIX}{ACCOUNT}", SecretString=json.dumps(TOKEN))  # type: ignore[attr-defined]
    assert world.run(*argv).code == 0
    assert world.store.get(made.incident_id).status is _S.RESTORED  # type: ignore[union-attr]


def test_a_deleted_quote_cannot_be_restored(world: World) -> None:
    made = world.incident("1900000000000000066", _S.UNDONE, kind="quote")
    argv = ("incidents", "resolve", made.incident_id, "--false-positive", "--restore", "--reason", "fine")
    one_line_error(world.run(*argv), 6, "quote post was deleted")
    assert world.store.get(made.incident_id).status is _S.UNDONE  # type: ignore[union-attr]


# ---------------------------------------------------------------------- export
def test_export_csv_pages_through_every_status_since(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(incidents, "PAGE_SIZE", 2)
    now = datetime.now(UTC)
    statuses = (_S.UNDONE, _S.UNDO_FAILED, _S.MONITORED, _S.RESOLVED, _S.UNDONE, _S.UNDONE)
    for i, status in enumerate(statuses):
        world.incident(f"19000000000000007{i}", status, detected=now - timedelta(hours=i))
    world.incident("1900000000000000079", _S.UNDONE, detected=now - timedelta(days=8))
    target = tmp_path / "incidents.csv"
    ran = world.run("incidents", "export", "--since", "7d", "--format", "csv", "--output", str(target))
    assert ran.code == 0 and ran.out.strip() == f"6 incident(s) written to {target}"
    assert ran.err == ""  # the progress bar only shows on a terminal
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 6 and {row["post_id"][-1] for row in rows} == set("012345")
    assert {row["status"] for row in rows} == {"undone", "undo_failed", "monitored", "resolved"}
    assert rows[0]["rules"] == "stream.site.name" and "text_excerpt" not in rows[0]  # no post text in a CSV


def test_export_json_to_stdout_parses(world: World) -> None:
    world.incident("1900000000000000081", _S.UNDONE)
    world.incident("1900000000000000082", _S.MONITORED)
    ran = world.run("incidents", "export", "--format", "json")
    assert ran.code == 0
    records = json.loads(ran.out)
    assert sorted(r["post_id"] for r in records) == ["1900000000000000081", "1900000000000000082"]
    nothing = world.run("incidents", "--table", world.incidents_table, "export", "--format", "json", "--since", "1m")
    assert json.loads(nothing.out) == []


def test_export_csv_to_stdout(world: World) -> None:
    world.incident("1900000000000000091", _S.UNDONE)
    ran = world.run("incidents", "export")
    assert ran.code == 0
    [row] = list(csv.DictReader(io.StringIO(ran.out)))
    assert row["account_handle"] == "SussexPolice" and row["time_to_takedown_ms"] == "3000"


def test_export_shows_a_progress_bar_on_a_terminal_only(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    world.incident("1900000000000000092", _S.UNDONE)
    target = tmp_path / "incidents.json"
    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich then renders as on a terminal
    ran = world.run("incidents", "export", "--format", "json", "--output", str(target))
    assert ran.code == 0 and "exporting incidents" in ran.err and "1/?" in ran.err
    assert [record["post_id"] for record in json.loads(target.read_text(encoding="utf-8"))] == ["1900000000000000092"]


def test_export_to_a_folder_that_does_not_exist_is_a_usage_error(world: World, tmp_path) -> None:
    target = tmp_path / "absent" / "incidents.csv"
    one_line_error(world.run("incidents", "export", "--output", str(target)), 2, f"cannot use {target}")
