"""One message on the undo queue: which incident to undo, and how often X has failed it so far.

Everything else (which post, which account, why) is read from the incident itself, which is the
record of truth; the message only says "try now".
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class UndoRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: str = Field(min_length=1, max_length=200)
    account_id: str = Field(pattern=r"^[0-9]{1,19}$")
    failures: int = Field(default=0, ge=0)  # X failures (429, 5xx, timeouts) on earlier tries
    requested_at: datetime  # when inspection asked for the undo
