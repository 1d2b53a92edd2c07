"""`takedown accounts ...` and `takedown kill-switch ...` on moto's DynamoDB: the console's own
AccountAdmin underneath, so every change is in the console's audit log with who, when and why."""

from __future__ import annotations

import json

from takedown.policy import GLOBAL_SETTINGS_ID
from tests.unit.cli_world import ACCOUNT, OTHER_ACCOUNT, Ran, World, world

__all__ = ["world"]  # the fixture


def one_line_error(ran: Ran, code: int, prefix: str, *words: str) -> None:
    assert ran.code == code, (ran.code, ran.err)
    assert "Traceback" not in ran.err + ran.out
    [line] = ran.err.splitlines()
    assert line.startswith(f"takedown {prefix}: "), line
    for word in words:
        assert word in line, (word, line)


def test_list_and_show_as_tables_and_json(world: World) -> None:
    listed = world.run("accounts", "list")
    assert listed.code == 0
    for words in ("handle", "mode", "trusted domains", "@SussexPolice", "Sussex Police", "@KentPolice", "enforce"):
        assert words in listed.out
    records = world.run("accounts", "list", "--json").json_lines()
    assert [(r["account_id"], r["mode"]) for r in records] == [(OTHER_ACCOUNT, "enforce"), (ACCOUNT, "monitor")]
    shown = json.loads(world.run("accounts", "show", "@sussexpolice", "--json").out)
    assert shown["account_id"] == ACCOUNT and shown["audit"] == []
    assert json.loads(world.run("accounts", "show", ACCOUNT, "--json").out)["handle"] == "SussexPolice"


def test_set_mode_is_audited_like_the_console(world: World) -> None:
    ran = world.run(
        "accounts", "set-mode", "@SussexPolice", "enforce", "--reason", "a week of cards read", "--by", "ops"
    )
    assert ran.code == 0 and "now in enforce mode" in ran.out
    assert world.policies.policy_for(ACCOUNT).mode == "enforce"
    [entry] = world.admin.audit()
    assert (entry.by, entry.account_id, entry.change, entry.reason) == (
        "ops", ACCOUNT, "mode monitor → enforce", "a week of cards read"
    )  # fmt: skip
    shown = world.run("accounts", "show", ACCOUNT)
    assert "mode monitor → enforce" in shown.out and "a week of cards read" in shown.out and "just now" in shown.out
    again = world.run("accounts", "set-mode", ACCOUNT, "enforce", "--reason", "again")
    one_line_error(again, 6, "accounts", "already in enforce mode")


def test_trust_and_untrust_an_author_and_a_domain(world: World) -> None:
    base = ("--table", world.accounts_table)
    assert (
        world.run(
            "accounts", "trust", ACCOUNT, "--domain", "https://www.BBC.co.uk/sport", "--reason", "BBC", *base
        ).code
        == 0
    )
    assert world.policies.policy_for(ACCOUNT).trusted_domains == frozenset({"bbc.co.uk"})
    ran = world.run("accounts", *base, "trust", ACCOUNT, "--author", "783214", "--reason", "partner", "--json")
    assert json.loads(ran.out)["trusted_author_ids"] == ["783214"]
    untrusted = world.run("accounts", "untrust", ACCOUNT, "--domain", "bbc.co.uk", "--reason", "contract over")
    assert untrusted.code == 0 and world.policies.policy_for(ACCOUNT).trusted_domains == frozenset()
    assert [e.change for e in world.admin.audit()] == [
        "no longer trusted: domain bbc.co.uk", "trusted: author 783214", "trusted: domain bbc.co.uk"
    ]  # fmt: skip
    one_line_error(world.run("accounts", "untrust", ACCOUNT, "--domain", "bbc.co.uk", "--reason", "x"), 6, "accounts")
    one_line_error(world.run("accounts", "trust", ACCOUNT, "--domain", "not a domain", "--reason", "x"), 2, "accounts")
    one_line_error(world.run("accounts", "trust", ACCOUNT, "--reason", "x"), 2, "accounts", "--author", "--domain")


def test_an_unknown_account_and_a_missing_reason(world: World) -> None:
    one_line_error(world.run("accounts", "show", "@nobody"), 5, "accounts", "no account @nobody")
    one_line_error(world.run("accounts", "set-mode", "999", "monitor", "--reason", "x"), 5, "accounts", "999")
    blank = world.run("accounts", "set-mode", ACCOUNT, "enforce", "--reason", "  ")
    one_line_error(blank, 2, "accounts", "reason is required")
    missing = world.run("accounts", "set-mode", ACCOUNT, "enforce")
    assert missing.code == 2 and "--reason" in missing.err and "Traceback" not in missing.err
    assert world.admin.audit() == []


def test_kill_switch_on_and_off_with_reasons_in_the_audit_log(world: World) -> None:
    on = world.run("kill-switch", "on", "--reason", "a rule misfires", "--by", "duty inspector")
    assert on.code == 0 and "nothing is undone anywhere" in on.out
    assert world.policies.settings().kill_switch
    assert "kill switch on" in world.run("accounts", "list").out
    one_line_error(world.run("kill-switch", "on", "--reason", "again"), 6, "kill-switch", "already on")
    shown = json.loads(world.run("kill-switch", "show", "--json").out)
    assert shown["on"] and shown["reason"] == "a rule misfires (duty inspector)"
    off = world.run("kill-switch", "off", "--reason", "checked the incidents", "--json")
    assert off.code == 0 and json.loads(off.out) == {"on": False, "reason": None}
    assert not world.policies.settings().kill_switch
    entries = [e for e in world.admin.audit() if e.account_id == GLOBAL_SETTINGS_ID]
    assert [(e.change, e.reason) for e in entries] == [
        ("kill switch off", "checked the incidents"), ("kill switch on", "a rule misfires")
    ]  # fmt: skip
    assert "checked the incidents" in world.run("kill-switch", "show").out


def test_reasons_and_names_are_shown_as_written_never_as_markup(world: World) -> None:
    reason = "per [policy] and [/] the [bold]inspector[/bold]"
    assert world.run("accounts", "set-mode", ACCOUNT, "enforce", "--reason", reason).code == 0
    shown = world.run("accounts", "show", ACCOUNT)
    assert shown.code == 0 and reason in shown.out
    assert world.run("kill-switch", "on", "--reason", "[/] rule [x] misfires", "--by", "ops").code == 0
    for argv in (("kill-switch", "show"), ("accounts", "list"), ("breaker", "show")):
        ran = world.run(*argv)
        assert ran.code == 0 and "[/] rule [x] misfires (ops)" in ran.out, argv
