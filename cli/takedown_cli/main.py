"""`takedown`: the ops command. Each sub-command lives in its own module with a `register` function.

Developer tooling (the local stack, stand-ins, demo, sample events) is `takedown-local`, a separate
package under local/: this command imports none of it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from takedown_cli import breaker, classify, incidents, links
from takedown_cli.model import commands as model

# Each module defines register(subparsers), which adds its parser and sets `handler` (args -> exit code).
COMMAND_MODULES = (breaker, classify, incidents, links, model)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="takedown", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
