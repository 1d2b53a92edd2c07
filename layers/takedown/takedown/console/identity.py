"""Who is signed in: the claims of the Microsoft Entra ID token, as API Gateway's JWT authorizer
passes them to the console (`requestContext.authorizer.jwt.claims`).

In the cloud, the HTTP API's JWT authorizer has already refused any request without a valid token
for the console's app registration; the console refuses a request without claims all the same.
App roles arrive in the `roles` claim: `reviewer` reviews incidents, `admin` also changes accounts
and the kill switch. API Gateway renders a list claim as the string "[reviewer admin]".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REVIEWER, ADMIN = "reviewer", "admin"


class NotSignedInError(Exception):
    """No token claims reached the console: the request is refused."""


@dataclass(frozen=True)
class Reviewer:
    who: str  # recorded on every action: the user principal name (or object id)
    name: str
    roles: frozenset[str]

    @property
    def can_review(self) -> bool:
        return bool(self.roles & {REVIEWER, ADMIN})

    @property
    def can_change_accounts(self) -> bool:
        return ADMIN in self.roles


def reviewer_from_event(event: Mapping[str, Any]) -> Reviewer:
    claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    who = str(claims.get("preferred_username") or claims.get("upn") or claims.get("email") or claims.get("oid") or "")
    if not who:
        raise NotSignedInError("sign in with your organisation's account to use the review console")
    return Reviewer(who=who, name=str(claims.get("name") or who), roles=_roles(claims.get("roles")))


def _roles(value: Any) -> frozenset[str]:
    if isinstance(value, list | tuple):
        names = [str(role) for role in value]
    elif isinstance(value, str):
        names = value.strip().removeprefix("[").removesuffix("]").replace(",", " ").split()
    else:
        names = []
    return frozenset(name.strip().strip('"').lower() for name in names if name.strip())
