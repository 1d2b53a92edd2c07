"""What every benchmark figure carries: where and on what it was measured."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable


def context() -> dict:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }


def emit(figure: str, value: float, unit: str, **details: object) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"figure": figure, "value": round(value, 3), "unit": unit, **details, "context": context()}))
    sys.stdout.flush()


def emit_quietly(run: Callable[[], list[tuple]]) -> None:
    """Run a local-stack benchmark with stdout muted (the handlers print their EMF metric lines
    there), then emit each (figure, value, unit, details) it returns."""
    real_stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - closed below
    try:
        figures = run()
    finally:
        sys.stdout.close()
        sys.stdout = real_stdout
    for figure in figures:
        emit(*figure[:3], **figure[3])
