"""Settings of each function, read from its environment once per cold start (never at import).

One place for every environment variable the functions read; template.yaml sets them in the cloud,
the local stack and `--env-vars` files set them on a laptop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

# How long a secret or policy read from AWS is reused before it is read again: rotations and
# policy changes take effect within this time, without a deploy.
SECRET_MAX_AGE_SECONDS = 300


class ConfigurationError(Exception):
    """A function was deployed without a setting it needs."""


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class WebhookSettings:
    consumer_secret_id: str  # Secrets Manager id of {"consumer_key": ..., "consumer_secret": ...}
    inspect_queue_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            consumer_secret_id=_required(env, "X_CONSUMER_SECRET_ID"),
            inspect_queue_url=_required(env, "INSPECT_QUEUE_URL"),
        )
