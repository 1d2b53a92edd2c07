"""The review console: the queue, each incident with its evidence and actions, and the accounts.

Served by functions/console behind the HTTP API (signed in through Microsoft Entra ID) and by the
local stack. `ReviewDesk` acts on incidents, `AccountAdmin` on accounts, `build_console_app` routes.
"""

from takedown.console.accounts import AccountAdmin, AccountChangeError, AuditEntry
from takedown.console.identity import Reviewer, reviewer_from_event
from takedown.console.review import QueueFilters, ReviewDesk, ReviewError
from takedown.console.web import BASE_PATH, build_console_app, incident_path

__all__ = [
    "BASE_PATH",
    "AccountAdmin",
    "AccountChangeError",
    "AuditEntry",
    "QueueFilters",
    "ReviewDesk",
    "ReviewError",
    "Reviewer",
    "build_console_app",
    "incident_path",
    "reviewer_from_event",
]
