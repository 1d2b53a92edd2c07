"""`takedown breaker show|reset`: what the circuit breaker switched to monitor, and switching it back.

The breaker holds a rule (or, with the kill switch, all of Takedown) in monitor after too many undos
in a short time, and waits for a person. Check the recent incidents first (`takedown incidents
list --status monitored`), then reset the rule, or everything with `--all`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from botocore.exceptions import BotoCoreError, ClientError

from takedown.policy import PolicyStore
from takedown.wiring import build_policy_store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("breaker", help="what the circuit breaker holds in monitor; switch it back")
    parser.add_argument("--table", default=os.environ.get("ACCOUNTS_TABLE"), help="accounts table name")
    commands = parser.add_subparsers(dest="breaker_command", required=True)
    show = commands.add_parser("show", help="the rules held in monitor and the kill switch")
    show.set_defaults(handler=show_breaker)
    reset = commands.add_parser("reset", help="switch a held rule, or everything, back to enforce")
    which = reset.add_mutually_exclusive_group(required=True)
    which.add_argument("--rule", help="the rule id the Teams card named")
    which.add_argument("--all", action="store_true", help="every held rule, and the kill switch off")
    reset.set_defaults(handler=reset_breaker)


def _policies(args: argparse.Namespace) -> PolicyStore:
    if not args.table:
        sys.exit("takedown breaker: set --table or ACCOUNTS_TABLE")
    return build_policy_store(args.table)


def show_breaker(args: argparse.Namespace) -> int:
    try:
        settings = _policies(args).settings()
    except (BotoCoreError, ClientError) as error:
        sys.stderr.write(f"takedown breaker: cannot read the accounts table: {error}\n")
        return 3
    state = {
        "kill_switch": settings.kill_switch,
        "kill_switch_reason": settings.kill_switch_reason,
        "monitored_rules": sorted(settings.monitored_rules),
    }
    sys.stdout.write(json.dumps(state) + "\n")
    return 0


def reset_breaker(args: argparse.Namespace) -> int:
    policies = _policies(args)
    try:
        held = policies.settings().monitored_rules
        if args.all:
            for rule in sorted(held):
                policies.set_rule_monitored(rule, monitored=False)
            policies.set_kill_switch(False)
            sys.stdout.write(f"switched back: {len(held)} rule(s) and the kill switch\n")
            return 0
        if args.rule not in held:
            sys.stderr.write(f"takedown breaker: rule {args.rule} is not held in monitor\n")
            return 4
        policies.set_rule_monitored(args.rule, monitored=False)
    except (BotoCoreError, ClientError) as error:
        sys.stderr.write(f"takedown breaker: cannot update the accounts table: {error}\n")
        return 3
    sys.stdout.write(f"switched back: {args.rule}\n")
    return 0
