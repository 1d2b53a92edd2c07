"""The one rule for every outbound endpoint Takedown is configured with (X, Teams): https only.

Plain http is allowed on loopback alone, so that tests and the local stack can talk to stand-ins
while a mistyped or tampered setting can never send a bearer token or a Teams webhook signature
over the network in clear.
"""

from __future__ import annotations

import ipaddress

import httpx

from takedown.settings import ConfigurationError

_LOOPBACK_NAMES = frozenset({"localhost"})


def require_https_or_loopback(url: str, *, name: str) -> httpx.URL:
    """Return `url` parsed, or raise ConfigurationError naming `name` (never echoing the URL).

    >>> str(require_https_or_loopback("http://127.0.0.1:8080/hook", name="Teams webhook URL"))
    'http://127.0.0.1:8080/hook'
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ConfigurationError(f"{name} is not a valid URL") from None
    if parsed.scheme == "https" and parsed.host:
        return parsed
    if parsed.scheme == "http" and _is_loopback(parsed.host):
        return parsed
    raise ConfigurationError(f"{name} must use https (plain http is allowed on loopback only)")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
