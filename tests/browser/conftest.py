"""The local stack sets (and on stop restores) the environment its handlers read."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_aws() -> None:
    """Overrides the suite-wide fixture: every AWS endpoint here is the stack's own, on loopback."""
