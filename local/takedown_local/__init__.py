"""Takedown on a developer's machine: the local stack, the stand-ins for X and Teams, the demo and
the sample-event writer. Never shipped to Lambda and never needed by the ops command `takedown`.

    with LocalStack(StackOptions()) as stack:
        print(stack.ready_line()["webhook_url"])
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: local/takedown_local/__init__.py
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS_DIR = ROOT / "functions"
EVENTS_DIR = ROOT / "events"
NODE_MODULES = ROOT / "node_modules"
