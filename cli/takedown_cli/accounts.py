"""`takedown accounts list|show|set-mode|trust|untrust`: each account's mode and trusted lists.

The same `AccountAdmin` as the console's Accounts page: every change needs a reason and is one
DynamoDB transaction conditioned on the revision read, with an audit entry (who, when, why) in the
same audit log the console shows. Table: --table or ACCOUNTS_TABLE. An account is named by its X
user id or its @handle.

Other modules add commands to this group (`app.command("subscribe")(subscribe)` in their own
register) and columns to `accounts list` (`LIST_COLUMNS.append(Column(...))`).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.text import Text

from takedown.clock import utc_now
from takedown.console.accounts import AccountAdmin, AuditEntry, TrustKind
from takedown.policy import AccountPolicy, Mode
from takedown.wiring import dynamodb_client
from takedown_cli.errors import NotFoundError, UsageProblemError
from takedown_cli.options import JsonOption, TableOption, table_name, wants_json
from takedown_cli.output import new_table, operator_zone, print_json, print_json_lines, said, stdout, styled, when

ACCOUNTS_TABLE = "ACCOUNTS_TABLE"

app = typer.Typer(
    help="Each account's mode (enforce or monitor) and trusted lists. Table: --table or ACCOUNTS_TABLE.",
    no_args_is_help=True,
)

AccountRef = Annotated[str, typer.Argument(help="the account: its X user id, or @handle")]
ReasonOption = Annotated[str, typer.Option("--reason", help="why (required: it goes in the audit log)")]
ByOption = Annotated[str, typer.Option("--by", help="who is changing it (default: your user name)")]


class ModeChoice(StrEnum):
    ENFORCE = "enforce"
    MONITOR = "monitor"


@dataclass(frozen=True)
class Column:
    """A column of `accounts list`: its header and its value for one account."""

    header: str
    value: Callable[[AccountPolicy], str | Text]


def _trusted(values: frozenset[str]) -> str:
    return ", ".join(sorted(values)) or "-"


LIST_COLUMNS: list[Column] = [
    Column("handle", lambda policy: f"@{policy.handle}" if policy.handle else "-"),
    Column("name", lambda policy: policy.name or "-"),
    Column("account id", lambda policy: policy.account_id),
    Column("mode", lambda policy: styled(policy.mode, "green" if policy.mode == "enforce" else "yellow")),
    Column("trusted authors", lambda policy: _trusted(policy.trusted_author_ids)),
    Column("trusted domains", lambda policy: _trusted(policy.trusted_domains)),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="accounts")


@app.callback()
def accounts(table: TableOption = None, as_json: JsonOption = False) -> None:
    """Each account's mode (enforce or monitor) and trusted lists. Table: --table or ACCOUNTS_TABLE."""


def account_admin(ctx: typer.Context) -> AccountAdmin:
    """The console's AccountAdmin over the accounts table named on the command line or in ACCOUNTS_TABLE."""
    return AccountAdmin(dynamodb_client(), table_name(ctx, ACCOUNTS_TABLE))


def find_account(admin: AccountAdmin, ref: str) -> AccountPolicy:
    """The account `ref` names: an X user id, or a handle with or without its @."""
    ref = ref.strip()
    if ref.isdigit():
        policy = admin.account(ref)
        if policy is not None:
            return policy
    else:
        handle = ref.removeprefix("@").lower()
        for policy in admin.accounts():
            if (policy.handle or "").lower() == handle:
                return policy
    raise NotFoundError(f"no account {ref} is subscribed (takedown accounts list shows them)")


def reviewer(by: str) -> str:
    return by.strip() or getpass.getuser()


def policy_record(policy: AccountPolicy) -> dict[str, Any]:
    record = policy.model_dump(mode="json")
    for name in ("trusted_author_ids", "trusted_domains"):
        record[name] = sorted(record[name])
    return record


@app.command("list")
def list_accounts(ctx: typer.Context, table: TableOption = None, as_json: JsonOption = False) -> None:
    """Every subscribed account, its mode and trusted lists, and the kill switch."""
    admin = account_admin(ctx)
    found = admin.accounts()
    switch = admin.kill_switch()
    if wants_json(ctx):
        print_json_lines(policy_record(policy) for policy in found)
        return
    out = stdout()
    if switch.on:
        out.print(
            said("[bold red]kill switch on[/]: nothing is undone anywhere ({})", switch.reason or "no reason given")
        )
    if not found:
        out.print("no account is subscribed")
        return
    listing = new_table(*(column.header for column in LIST_COLUMNS), literal=True)
    for policy in found:
        listing.add_row(*(column.value(policy) for column in LIST_COLUMNS))
    out.print(listing)


@app.command("show")
def show_account(
    ctx: typer.Context, account: AccountRef, table: TableOption = None, as_json: JsonOption = False
) -> None:
    """One account: its mode, trusted lists and the changes made to it (the audit log)."""
    admin = account_admin(ctx)
    policy = find_account(admin, account)
    changes = [entry for entry in admin.audit() if entry.account_id == policy.account_id]
    if wants_json(ctx):
        print_json({**policy_record(policy), "audit": [entry.model_dump(mode="json") for entry in changes]})
        return
    out = stdout()
    facts = new_table(
        "", "", title=f"account {f'@{policy.handle}' if policy.handle else policy.account_id}", literal=True
    )
    facts.show_header = False
    for column in LIST_COLUMNS:
        facts.add_row(column.header, column.value(policy))
    out.print(facts)
    print_audit(changes, "changes (this month and last)")


def print_audit(entries: list[AuditEntry], title: str) -> None:
    out = stdout()
    if not entries:
        out.print(said("{}: none", title))
        return
    now, zone = utc_now(), operator_zone()
    audit = new_table("when", "who", "change", "why", title=title, literal=True)
    for entry in entries:
        audit.add_row(when(entry.at, now, zone), entry.by, entry.change, entry.reason)
    out.print(audit)


@app.command("set-mode")
def set_mode(
    ctx: typer.Context,
    account: AccountRef,
    mode: Annotated[
        ModeChoice, typer.Argument(help="enforce (bad reposts are undone) or monitor (recorded and reported)")
    ],
    reason: ReasonOption,
    by: ByOption = "",
    table: TableOption = None,
    as_json: JsonOption = False,
) -> None:
    """Switch an account to enforce or monitor."""
    admin = account_admin(ctx)
    chosen: Mode = "enforce" if mode is ModeChoice.ENFORCE else "monitor"
    policy = admin.set_mode(find_account(admin, account).account_id, chosen, by=reviewer(by), reason=reason)
    _changed(ctx, policy, f"now in {policy.mode} mode")


def _trust_choice(author: str | None, domain: str | None) -> tuple[TrustKind, str]:
    if (author is None) == (domain is None):
        raise UsageProblemError("say which: --author ID or --domain NAME")
    return ("author", str(author)) if author is not None else ("domain", str(domain))


AuthorOption = Annotated[str | None, typer.Option("--author", help="an X user id (the original author's)")]
DomainOption = Annotated[str | None, typer.Option("--domain", help="a domain name, e.g. bbc.co.uk")]


@app.command("trust")
def trust(
    ctx: typer.Context,
    account: AccountRef,
    reason: ReasonOption,
    author: AuthorOption = None,
    domain: DomainOption = None,
    by: ByOption = "",
    table: TableOption = None,
    as_json: JsonOption = False,
) -> None:
    """Trust an author or a domain for this account: their posts are never undone for it."""
    _set_trusted(ctx, account, author, domain, trusted=True, by=by, reason=reason)


@app.command("untrust")
def untrust(
    ctx: typer.Context,
    account: AccountRef,
    reason: ReasonOption,
    author: AuthorOption = None,
    domain: DomainOption = None,
    by: ByOption = "",
    table: TableOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take an author or a domain off this account's trusted list."""
    _set_trusted(ctx, account, author, domain, trusted=False, by=by, reason=reason)


def _set_trusted(
    ctx: typer.Context, account: str, author: str | None, domain: str | None, *, trusted: bool, by: str, reason: str
) -> None:
    kind, value = _trust_choice(author, domain)
    admin = account_admin(ctx)
    target = find_account(admin, account)
    policy = admin.set_trusted(target.account_id, kind, value, trusted=trusted, by=reviewer(by), reason=reason)
    _changed(ctx, policy, f"{kind} {value} {'trusted' if trusted else 'no longer trusted'}")


def _changed(ctx: typer.Context, policy: AccountPolicy, what: str) -> None:
    if wants_json(ctx):
        print_json(policy_record(policy))
        return
    name = f"@{policy.handle}" if policy.handle else policy.account_id
    stdout().print(said("{}: {} (recorded in the audit log)", name, what))
