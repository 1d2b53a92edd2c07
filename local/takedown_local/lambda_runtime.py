"""Run the real Lambda handlers in this process, as the Lambda runtime would.

Each function's `functions/<name>/app.py` is imported under its own module name (every function
has an app.py), and invoked with a context object shaped like Lambda's.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from takedown_local import FUNCTIONS_DIR


def load_function(function: str, functions_dir: Path = FUNCTIONS_DIR) -> ModuleType:
    """Import functions/<function>/app.py afresh (a cold start) under a unique module name."""
    name = f"takedown_function_{function}"
    spec = importlib.util.spec_from_file_location(name, functions_dir / function / "app.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(functions_dir / function / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools and our handlers read."""

    function_name: str = "takedown-local"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:123456789012:function:takedown-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000
