"""The undo step: carries out on X what inspection decided, paced by each account's X rate limit.

Inspection records the incident and sends an `UndoRequest` to the undo queue (standard SQS, so one
account's waiting post never holds back another's). `UndoStep` re-decides with the settings of
now, spends the account's X budget (`XRateBudget`, from X's rate-limit headers), counts the undo in
the `CircuitBreaker`, calls X and records every attempt on the incident; a wait (rate limit,
backoff after an outage) becomes a delayed message and a line in the incident's history.
"""

from takedown.undo.breaker import BreakerLimits, CircuitBreaker, Trip
from takedown.undo.pacing import XRateBudget
from takedown.undo.queue import MAX_DELAY_SECONDS, SqsUndoQueue
from takedown.undo.request import UndoRequest
from takedown.undo.step import QueuedUndo, UndoOutcomeKind, UndoResult, UndoStep

__all__ = [
    "MAX_DELAY_SECONDS",
    "BreakerLimits",
    "CircuitBreaker",
    "QueuedUndo",
    "SqsUndoQueue",
    "Trip",
    "UndoOutcomeKind",
    "UndoRequest",
    "UndoResult",
    "UndoStep",
    "XRateBudget",
]
