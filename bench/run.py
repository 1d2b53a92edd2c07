"""`make bench`: every benchmark, one JSON object per figure. Measures; never asserts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SUITES = ("classifier.py", "webhook.py", "inspect_path.py", "links.py", "cold_imports.py", "pipeline.py", "receipt.py")

if __name__ == "__main__":
    for suite in SUITES:
        subprocess.run([sys.executable, str(BENCH / suite)], check=True)
