"""Cold start: the time to import each function's handler (and so the layer) in a fresh interpreter."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.context import emit

RUNS = 7
FUNCTIONS = ("webhook", "inspect", "notify")


def cold_import_ms(function: str) -> list[float]:
    code = (
        "import sys, time; t = time.perf_counter(); "
        f"sys.path.insert(0, {str(ROOT / 'functions' / function)!r}); import app; "
        "print((time.perf_counter() - t) * 1000)"
    )
    runs = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append(float(out.stdout.strip()))
    return runs


if __name__ == "__main__":
    for function in FUNCTIONS:
        runs = cold_import_ms(function)
        emit(
            f"cold_import_{function}_median",
            statistics.median(runs),
            "ms",
            runs=RUNS,
            max_ms=round(max(runs), 1),
        )
