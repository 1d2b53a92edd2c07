"""Why an incident could not be read or changed."""

from __future__ import annotations


class IncidentError(Exception):
    """Base class of the incident store's errors."""


class IncidentNotFoundError(IncidentError):
    """No incident has this id."""


class IncidentTransitionError(IncidentError):
    """The change is not allowed from the incident's current state (e.g. restoring a confirmed one)."""
