"""`takedown accounts subscribe|unsubscribe|subscriptions`: which accounts X delivers to the webhook.

`--api aaa` (Account Activity API, deprecated by X in 2026): one subscription of everything the
account does, made with the account's own OAuth 1.0a tokens (its secret `<stack>/x-account/<id>`),
as X requires. `--api xaa` (X Activity API): one subscription per event type Takedown reads (the
account's reposts and quotes, `filter.user_id` the account), made with the app's bearer token.
An account is named by its numeric X user id, or by its @handle when its item is in the accounts
table (--table or ACCOUNTS_TABLE).
"""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer

from takedown.x_subscriptions import ACTIVITY_APIS, ActivityApi, Subscription
from takedown_cli import accounts
from takedown_cli.options import JsonOption, wants_json
from takedown_cli.output import new_table, print_json_lines, stdout
from takedown_cli.x_app import WebhookIdOption, connect, x_id, x_refusals

API_NAMES = {"aaa": "Account Activity API", "xaa": "X Activity API"}


class ApiChoice(StrEnum):
    AAA = "aaa"
    XAA = "xaa"


ApiOption = Annotated[
    ApiChoice, typer.Option("--api", help="aaa: Account Activity API (the account's tokens); xaa: X Activity API")
]
AccountRef = Annotated[
    str, typer.Argument(help="the account: its numeric X user id, or @handle (from the accounts table)")
]


def register(root: typer.Typer) -> None:
    accounts.app.command("subscribe")(subscribe)
    accounts.app.command("unsubscribe")(unsubscribe)
    accounts.app.command("subscriptions")(list_subscriptions)


def _account_id(ctx: typer.Context, ref: str) -> str:
    """The X user id `ref` names: itself when numeric, else the @handle's, from the accounts table."""
    ref = ref.strip()
    if ref.startswith("@"):
        return accounts.find_account(accounts.account_admin(ctx), ref).account_id
    return x_id(ref, "account id")


def _api(choice: ApiChoice) -> ActivityApi:
    return "aaa" if choice is ApiChoice.AAA else "xaa"


def _record(sub: Subscription) -> dict[str, str | None]:
    return asdict(sub)


def _print(subs: list[Subscription], as_json: bool) -> None:
    if as_json:
        print_json_lines(_record(sub) for sub in subs)
        return
    listing = new_table("account id", "api", "event", "webhook id", "subscription id")
    for sub in subs:
        listing.add_row(sub.account_id, sub.api, sub.event_type, sub.webhook_id or "-", sub.subscription_id or "-")
    stdout().print(listing)


def subscribe(
    ctx: typer.Context,
    account_id: AccountRef,
    api: ApiOption,
    webhook_id: WebhookIdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Subscribe the account to the webhook: X delivers its reposts and quotes to Takedown."""
    chosen_account = _account_id(ctx, account_id)
    with x_refusals():
        x_app = connect()
        chosen = x_app.webhook_id(webhook_id)
        activity_api = _api(api)
        credentials = x_app.credentials_for(chosen_account) if activity_api == "aaa" else None
        created = x_app.x.subscribe(activity_api, chosen, chosen_account, credentials)
    if wants_json(ctx):
        _print(created, as_json=True)
        return
    events = ", ".join(sub.event_type for sub in created)
    stdout().print(f"subscribed account {chosen_account} to webhook {chosen} ({API_NAMES[activity_api]}: {events})")


def unsubscribe(
    ctx: typer.Context,
    account_id: AccountRef,
    api: ApiOption,
    webhook_id: WebhookIdOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop X delivering the account's activity to the webhook."""
    chosen_account = _account_id(ctx, account_id)
    with x_refusals():
        x_app = connect()
        chosen = x_app.webhook_id(webhook_id)
        removed = x_app.x.unsubscribe(_api(api), chosen, chosen_account)
    if wants_json(ctx):
        _print(removed, as_json=True)
        return
    stdout().print(
        f"unsubscribed account {chosen_account} from webhook {chosen} ({API_NAMES[_api(api)]}): "
        "Takedown no longer sees what it reposts"
    )


def list_subscriptions(
    ctx: typer.Context,
    api: Annotated[
        ApiChoice | None, typer.Option("--api", help="only this API's (default: both)", show_default=False)
    ] = None,
    webhook_id: WebhookIdOption = None,
    as_json: JsonOption = False,
) -> None:
    """The accounts X delivers to the webhook, per API (and per event type for the X Activity API)."""
    apis = ACTIVITY_APIS if api is None else (_api(api),)
    with x_refusals():
        x_app = connect()
        chosen = x_app.webhook_id(webhook_id)
        found = [sub for activity_api in apis for sub in x_app.x.subscriptions(activity_api, chosen)]
    if wants_json(ctx):
        _print(found, as_json=True)
        return
    if not found:
        stdout().print(f"no account is subscribed to webhook {chosen} (takedown accounts subscribe ID --api aaa|xaa)")
        return
    _print(found, as_json=False)
