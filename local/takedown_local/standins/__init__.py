"""Honest local stand-ins for the outside world, served over loopback HTTP.

`XStandIn` checks OAuth 1.0a signatures with oauthlib (not the authlib that signs them), keeps
retweet/delete state and X's rate limits, and injects 429/5xx/timeouts on demand. `TeamsStandIn`
validates every card against the official Adaptive Card 1.4 schema and Teams' own rules.

    with XStandIn("consumerkey", "consumer-secret", tokens={token: token_secret}) as x:
        client = XClient(http, credentials, base_url=x.url)
"""

from __future__ import annotations

from takedown_local.standins.teams_standin import TeamsStandIn
from takedown_local.standins.x_standin import XStandIn

__all__ = ["TeamsStandIn", "XStandIn"]
