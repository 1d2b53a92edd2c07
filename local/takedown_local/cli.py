"""`takedown local serve`: the local stack (see stack.py) in one command, until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from takedown_cli.sample_events import SAMPLE_CONSUMER_SECRET


def register(subparsers: argparse._SubParsersAction) -> None:
    local = subparsers.add_parser("local", help="run Takedown on this machine")
    commands = local.add_subparsers(dest="local_command", required=True)
    serve = commands.add_parser("serve", help="start the local stack and print its endpoints as one JSON line")
    serve.add_argument("--port", type=int, default=8080, help="webhook port (0 picks a free one)")
    serve.add_argument("--moto-port", type=int, default=5005, help="SQS and Secrets Manager (events/env.json)")
    serve.add_argument("--dynamodb-port", type=int, default=8000, help="DynamoDB Local (events/env.json)")
    serve.add_argument("--x-port", type=int, default=8081, help="the X API stand-in (events/env.json)")
    serve.add_argument("--consumer-secret", default=SAMPLE_CONSUMER_SECRET, help="X app consumer secret")
    serve.add_argument("--account-id", default="1000000000000000001", help="the subscribed account, in enforce mode")
    serve.set_defaults(handler=serve_until_interrupted)


def serve_until_interrupted(args: argparse.Namespace) -> int:
    from takedown_cli.local.stack import LocalStack, StackOptions  # noqa: PLC0415 - heavy, only for serve

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    options = StackOptions(
        port=args.port,
        moto_port=args.moto_port,
        dynamodb_port=args.dynamodb_port,
        x_port=args.x_port,
        consumer_secret=args.consumer_secret,
        account_id=args.account_id,
    )
    with LocalStack(options) as stack:
        print(json.dumps(stack.ready_line()), flush=True)
        stopping.wait()
        print("stopping the local stack", file=sys.stderr, flush=True)
    return 0
