"""Console function: the review console's pages behind the HTTP API, signed in through Entra ID.

A thin adapter: takedown.console routes, renders and acts. The HTTP API's JWT authorizer has
checked the token before this runs; the routes read the reviewer from its claims.
"""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from takedown.settings import ConsoleSettings
from takedown.wiring import build_console

logger = Logger()


@cache
def console() -> APIGatewayHttpResolver:
    return build_console(ConsoleSettings.from_env(os.environ))


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return console().resolve(event, context)
