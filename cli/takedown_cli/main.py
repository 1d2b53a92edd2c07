"""`takedown`: one entry point; each sub-command lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines register(subparsers) which adds its parser and sets `handler` (args -> exit code).
COMMAND_MODULES = ("takedown_cli.classify", "takedown_cli.incidents", "takedown_cli.local")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="takedown", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
