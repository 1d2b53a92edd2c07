"""Every way a `takedown` command can fail, and its exit code: the one place they are defined.

A command raises (its own `CommandError`, or the library's exceptions as they are); `main` catches
once at the top and `explain` turns the exception into one line on stderr and a distinct exit code.
Nothing here prints a traceback: only `--debug` does, for an unexpected error.

    0   done
    1   the command ran and its check failed: a line not read (classify), a link not reached
        (links check), the gate not passed (model evaluate --gate)
    2   usage: an unknown command or option, a bad value, a file that cannot be read or written, a
        reason missing
    3   configuration: a table name, environment variable or secret missing, or a table that does
        not exist
    4   unreachable: AWS, the local stack or X did not answer (stopped, wrong endpoint, timeout)
    5   not found: no such incident, account or held rule
    6   conflict: not allowed from the current state (resolved twice, already restored, already in
        that mode, changed by someone else meanwhile)
    7   X refused: X answered but did not do it (the incident is kept so the same command can retry)
    8   AWS refused: access denied, expired credentials, throttled, or another AWS error
    70  unexpected: a bug; run again with --debug for the traceback
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

from enum import IntEnum, unique

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from takedown.console.accounts import AccountChangeError, AccountConflictError, AccountNotFoundError
from takedown.console.review import IncidentMissingError, RestoreFailedError, ReviewConflictError, ReviewError
from takedown.incidents.exceptions import IncidentNotFoundError, IncidentTransitionError
from takedown.settings import ConfigurationError
from takedown.x_api import XApiError, XCredentialsError, XUnavailableError


@unique  # each failure its own code
class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    CONFIGURATION = 3
    UNREACHABLE = 4
    NOT_FOUND = 5
    CONFLICT = 6
    X_REFUSED = 7
    AWS_REFUSED = 8
    UNEXPECTED = 70
    INTERRUPTED = 130


class CommandError(Exception):
    """A command that could not do what was asked; `message` says why in words, `code` is its exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFoundError(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.NOT_FOUND)


class SettingMissingError(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.CONFIGURATION)


class UsageProblemError(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.USAGE)


# AWS error codes that mean the name given does not exist: a configuration to fix, not an outage.
_MISSING_RESOURCE = frozenset({"ResourceNotFoundException"})
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
_NO_AWS_SETUP = (NoCredentialsError, PartialCredentialsError, NoRegionError)


def explain(error: BaseException, tables: tuple[str, ...] = ()) -> tuple[ExitCode, str]:
    """The exit code and one-line message for `error`; `tables` are the tables the command used,
    named when AWS says one does not exist. UNEXPECTED means nothing here knew the error."""
    code, message = _explain(error, tables)
    return code, " ".join(message.split())


def _explain(error: BaseException, tables: tuple[str, ...]) -> tuple[ExitCode, str]:  # noqa: PLR0911
    match error:
        case CommandError():
            return error.code, error.message
        case KeyboardInterrupt():
            return ExitCode.INTERRUPTED, "interrupted"
        case ConfigurationError():
            return ExitCode.CONFIGURATION, str(error)
        case IncidentMissingError() | IncidentNotFoundError():
            return ExitCode.NOT_FOUND, _incident_missing(error)
        case RestoreFailedError():
            return _restore_failed(error)
        case ReviewConflictError() | IncidentTransitionError():
            return ExitCode.CONFLICT, str(error)
        case ReviewError():
            return ExitCode.USAGE, str(error)
        case AccountNotFoundError():
            return ExitCode.NOT_FOUND, str(error)
        case AccountConflictError():
            return ExitCode.CONFLICT, str(error)
        case AccountChangeError():
            return ExitCode.USAGE, str(error)
        case XCredentialsError():
            return ExitCode.CONFIGURATION, f"X credentials missing or unusable: {error}"
        case XUnavailableError():
            return ExitCode.UNREACHABLE, f"X did not answer: {error}"
        case XApiError():
            return ExitCode.X_REFUSED, f"X refused: {error}"
        case ClientError():
            return _aws_refused(error, tables)
        case _ if isinstance(error, _UNREACHABLE):
            return ExitCode.UNREACHABLE, f"cannot reach AWS ({error}): is the stack running and the endpoint right?"
        case _ if isinstance(error, _NO_AWS_SETUP):
            return ExitCode.CONFIGURATION, f"AWS is not set up here: {error}"
        case BotoCoreError():
            return ExitCode.AWS_REFUSED, f"AWS call failed: {error}"
        case OSError() if error.filename:
            return ExitCode.USAGE, f"cannot use {error.filename}: {error.strerror}"
    return (
        ExitCode.UNEXPECTED,
        f"unexpected error: {type(error).__name__}: {error} (run again with --debug to see where)",
    )


def _incident_missing(error: Exception) -> str:
    if isinstance(error, IncidentNotFoundError):
        return f"there is no incident {error}"
    return str(error)


def _restore_failed(error: RestoreFailedError) -> tuple[ExitCode, str]:
    if isinstance(error.cause, XCredentialsError):
        return ExitCode.CONFIGURATION, str(error)
    if isinstance(error.cause, XUnavailableError):
        return ExitCode.UNREACHABLE, str(error)
    return ExitCode.X_REFUSED, str(error)


def _aws_refused(error: ClientError, tables: tuple[str, ...]) -> tuple[ExitCode, str]:
    details = error.response.get("Error", {})
    code = details.get("Code", "")
    said = details.get("Message", "") or str(error)
    if code in _MISSING_RESOURCE:
        named = f"table {' or '.join(tables)}" if tables else "the table or secret named"
        return ExitCode.CONFIGURATION, f"{named} does not exist here ({said}): check --table and the AWS endpoint"
    return ExitCode.AWS_REFUSED, f"AWS refused: {code}: {said}"
