"""X as the app, for `takedown webhook`, `accounts subscribe|unsubscribe|subscriptions` and `replay`.

The settings come from the environment (SubscriptionSettings: X_APP_SECRET_ID, X_CONSUMER_SECRET_ID,
X_ACCOUNT_SECRET_PREFIX, X_API_BASE_URL off X, X_WEBHOOK_ID optionally, ACCOUNTS_TABLE when an
account's policy names its own secret); the credentials from Secrets Manager through wiring.
X's refusals that have an exit code of their own here are turned into it (not found 5, conflict 6,
a replay window X would refuse 2); every other one is explained by takedown_cli.errors.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer

from takedown.settings import SubscriptionSettings
from takedown.wiring import build_x_subscriptions
from takedown.x_api import XCredentials
from takedown.x_subscriptions import ReplayWindowError, XConflictError, XNotFoundError, XSubscriptions
from takedown_cli.errors import CommandError, ExitCode, NotFoundError, UsageProblemError

WebhookIdOption = Annotated[
    str | None,
    typer.Option("--webhook-id", help="the webhook on X (default: X_WEBHOOK_ID, else the app's only webhook)"),
]
_X_ID = re.compile(r"^[0-9]{1,19}$")


@dataclass(frozen=True)
class XApp:
    """The app's calls to X, and each account's credentials (to subscribe it with its own tokens)."""

    x: XSubscriptions
    credentials_for: Callable[[str], XCredentials]
    settings: SubscriptionSettings

    def webhook_id(self, given: str | None) -> str:
        """--webhook-id, else X_WEBHOOK_ID, else the app's only webhook on X."""
        chosen = given or self.settings.webhook_id
        return x_id(chosen, "webhook id") if chosen else self.x.sole_webhook_id()


def connect() -> XApp:
    settings = SubscriptionSettings.from_env(os.environ)
    x, credentials_for = build_x_subscriptions(settings)
    return XApp(x, credentials_for, settings)


def x_id(value: str, what: str) -> str:
    """A numeric X id, or a usage error naming `what` (before anything is asked of X)."""
    value = value.strip()
    if not _X_ID.fullmatch(value):
        raise UsageProblemError(f"the {what} must be X's numeric id (up to 19 digits), not {value[:40]!r}")
    return value


@contextmanager
def x_refusals() -> Iterator[None]:
    """X's answers that have their own exit code: not found, conflict; a window X would refuse."""
    try:
        yield
    except ReplayWindowError as error:
        raise UsageProblemError(str(error)) from None
    except XNotFoundError as error:
        raise NotFoundError(str(error)) from None
    except XConflictError as error:
        raise CommandError(str(error), ExitCode.CONFLICT) from None
