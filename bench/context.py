"""What every benchmark figure carries: where and on what it was measured."""

from __future__ import annotations

import json
import os
import platform
import sys


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
