"""The one clock type: a callable returning an aware UTC datetime, passed in wherever time is read,
so that tests fix it and nothing reads the wall clock behind a caller's back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

type Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
