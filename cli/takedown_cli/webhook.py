"""`takedown webhook register|list|validate|delete`: the webhook X delivers to, registered with X.

One webhook serves both the Account Activity API and the X Activity API (X's v2 Webhooks API), so
these commands need no --api. Registering makes X call the webhook's CRC check at once: the stack
must be deployed and `<stack>/x-consumer` must hold the app's consumer secret. Every call is made
with the app's bearer token (`X_APP_SECRET_ID`, the secret `<stack>/x-app`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from takedown_cli.errors import UsageProblemError
from takedown_cli.options import JsonOption, wants_json
from takedown_cli.output import new_table, print_json, print_json_lines, stdout
from takedown_cli.x_app import WebhookIdOption, connect, x_id, x_refusals

app = typer.Typer(
    help="The webhook X delivers to (both APIs): register it, list, re-run X's CRC check, delete.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="webhook")


@app.command("register")
def register_webhook(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="the stack's WebhookUrl output (https://.../webhooks/x)")],
    as_json: JsonOption = False,
) -> None:
    """Register the webhook URL with X; X checks it with a CRC call before it answers."""
    with x_refusals():
        webhook = connect().x.register_webhook(url.strip())
    if wants_json(ctx):
        print_json(asdict(webhook))
        return
    stdout().print(
        f"registered webhook {webhook.id} for {webhook.url}: X's CRC check passed. Now subscribe each account: "
        f"takedown accounts subscribe ACCOUNT_ID --api aaa|xaa (X_WEBHOOK_ID={webhook.id} if the app has several)"
    )


@app.command("list")
def list_webhooks(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The app's webhooks on X, and whether each passes X's CRC check."""
    with x_refusals():
        webhooks = connect().x.list_webhooks()
    if wants_json(ctx):
        print_json_lines(asdict(webhook) for webhook in webhooks)
        return
    if not webhooks:
        stdout().print("no webhook is registered with X (takedown webhook register URL)")
        return
    listing = new_table("webhook id", "url", "valid", "created")
    for webhook in webhooks:
        valid = "[green]yes[/]" if webhook.valid else "[red]no: CRC failed, X delivers nothing (webhook validate)[/]"
        listing.add_row(webhook.id, webhook.url, valid, webhook.created_at or "-")
    stdout().print(listing)


@app.command("validate")
def validate_webhook(ctx: typer.Context, webhook_id: WebhookIdOption = None, as_json: JsonOption = False) -> None:
    """Ask X to run its CRC check again: a webhook X marked invalid is re-enabled when it passes."""
    with x_refusals():
        x_app = connect()
        chosen = x_app.webhook_id(webhook_id)
        valid = x_app.x.validate_webhook(chosen)
    if wants_json(ctx):
        print_json({"id": chosen, "valid": valid})
        return
    stdout().print(f"webhook {chosen}: X's CRC check passed, deliveries are on")


@app.command("delete")
def delete_webhook(
    ctx: typer.Context,
    webhook_id: Annotated[str, typer.Argument(help="the webhook's id (takedown webhook list)")],
    yes: Annotated[bool, typer.Option("--yes", help="yes, stop every delivery to it (required)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove the webhook from X: X stops delivering to it, and its subscriptions go with it."""
    chosen = x_id(webhook_id, "webhook id")
    if not yes:
        raise UsageProblemError(f"deleting webhook {chosen} stops every delivery to Takedown: add --yes")
    with x_refusals():
        connect().x.delete_webhook(chosen)
    if wants_json(ctx):
        print_json({"id": chosen, "deleted": True})
        return
    stdout().print(f"deleted webhook {chosen}: X delivers nothing to it any more")
