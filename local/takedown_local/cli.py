"""`takedown-local`: the developer's commands. `serve` runs the local stack (see stack.py) until
Ctrl-C, `demo` runs `make demo`, `events` rewrites `events/*.json` from `events/payloads/`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence

from takedown_local.sample_events import SAMPLE_CONSUMER_SECRET


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="takedown-local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the local stack and print its endpoints as one JSON line")
    ports = "(default: a free one; events/env.json expects "
    serve.add_argument("--port", type=int, default=0, help="webhook port (default: a free one)")
    serve.add_argument("--moto-port", type=int, default=0, help=f"SQS and Secrets Manager {ports}5005)")
    serve.add_argument("--dynamodb-port", type=int, default=0, help=f"DynamoDB Local {ports}8000)")
    serve.add_argument("--x-port", type=int, default=0, help=f"the X API stand-in {ports}8081)")
    serve.add_argument("--consumer-secret", default=SAMPLE_CONSUMER_SECRET, help="X app consumer secret")
    serve.add_argument(
        "--account-id",
        action="append",
        dest="account_ids",
        metavar="ID",
        help="a subscribed account in enforce mode, with X credentials (repeatable; default 1000000000000000001)",
    )
    serve.add_argument("--x-rate-window", type=float, default=900, help="the X stand-in's rate-limit window, seconds")
    serve.add_argument(
        "--sweep-every", type=float, default=300, help="seconds between sweeps for lost webhooks (0: never; 300)"
    )
    serve.set_defaults(handler=serve_until_interrupted)
    demo = commands.add_parser("demo", help="the whole pipeline on local parts, and what happened")
    demo.set_defaults(handler=lambda _args: _demo())
    events = commands.add_parser("events", help="rewrite events/*.json from events/payloads/")
    events.set_defaults(handler=lambda _args: _write_events())
    return parser


def serve_until_interrupted(args: argparse.Namespace) -> int:
    from takedown_local.dynamodb_local import PortInUseError  # noqa: PLC0415
    from takedown_local.stack import LocalStack, StackOptions  # noqa: PLC0415 - heavy, only for serve

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    options = StackOptions(
        port=args.port,
        moto_port=args.moto_port,
        dynamodb_port=args.dynamodb_port,
        x_port=args.x_port,
        consumer_secret=args.consumer_secret,
        account_ids=tuple(args.account_ids or StackOptions().account_ids),
        x_rate_window_seconds=args.x_rate_window,
        sweep_interval_seconds=args.sweep_every,
    )
    try:
        stack = LocalStack(options).start()
    except PortInUseError as error:
        print(f"takedown-local: {error}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(stack.ready_line()), flush=True)
        stopping.wait()
        print("stopping the local stack", file=sys.stderr, flush=True)
    finally:
        stack.stop()
    return 0


def _demo() -> int:
    from takedown_local.demo import run_demo  # noqa: PLC0415 - heavy, only for demo

    return run_demo()


def _write_events() -> int:
    from takedown_local.sample_events import main as write_events  # noqa: PLC0415

    write_events()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
