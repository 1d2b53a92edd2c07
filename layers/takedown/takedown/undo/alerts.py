"""The Teams card that says the circuit breaker switched a rule (or Takedown) to monitor."""

from __future__ import annotations

import logging
from collections.abc import Callable

from takedown.teams import ADAPTIVE_CARD_CONTENT_TYPE, CARD_VERSION, TeamsError, TeamsMessage, TeamsNotifier

log = logging.getLogger(__name__)


def build_breaker_card(rule: str | None, reason: str) -> TeamsMessage:
    what = f"Rule {rule} switched to monitor" if rule else "Takedown switched to monitor (kill switch on)"
    back = f"`takedown breaker reset --rule {rule}`" if rule else "`takedown breaker reset --all`"
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "fallbackText": f"Takedown circuit breaker: {what}",
        "body": [
            {
                "type": "TextBlock",
                "text": "Takedown: circuit breaker tripped",
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
            },
            {"type": "TextBlock", "text": what, "color": "attention", "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": reason, "wrap": True},
            {
                "type": "TextBlock",
                "text": f"Detections are recorded and reported, nothing is undone, until a person checks the "
                f"recent incidents and runs {back}.",
                "wrap": True,
            },
        ],
    }
    return TeamsMessage.of(
        {
            "type": "message",
            "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
        }
    )


class TeamsBreakerAlert:
    """Posts the breaker card. A Teams failure is logged, not raised: the switch to monitor has
    happened either way, and each held-back incident still gets its own card from the stream."""

    def __init__(self, teams: Callable[[], TeamsNotifier]) -> None:
        self._teams = teams

    def tripped(self, rule: str | None, reason: str) -> None:
        try:
            self._teams().send(build_breaker_card(rule, reason))
        except TeamsError as error:
            log.error("circuit breaker card not delivered: %s", error)
