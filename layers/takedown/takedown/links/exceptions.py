"""Why a link was not followed. Each is evidence of nothing about the page: it only says why."""

from __future__ import annotations


class LinkError(Exception):
    """A hop could not be fetched; `reason` is a short machine-readable word for the incident."""

    reason = "error"


class RefusedError(LinkError):
    """The fetcher refused the hop before sending anything: not a place Takedown may go."""

    reason = "refused"


class SchemeRefusedError(RefusedError):
    """Only http and https are followed (no file:, ftp:, gopher:, data:, javascript:...)."""

    reason = "scheme"


class AddressRefusedError(RefusedError):
    """The host resolves to an address that is not public: loopback, private, link-local
    (the instance metadata service included), multicast, reserved, or their IPv6 equivalents."""

    def __init__(self, host: str, address: str, address_class: str) -> None:
        super().__init__(f"{host} resolves to {address} ({address_class})")
        self.host = host
        self.address = address
        self.address_class = address_class

    reason = "address"


class PortRefusedError(RefusedError):
    """Only the web's usual ports are followed, so the fetcher cannot be aimed at other services."""

    reason = "port"


class UnresolvableError(LinkError):
    """DNS gave no address for the host."""

    reason = "dns"


class BudgetExceededError(LinkError):
    """The post's time budget ran out before this hop finished."""

    reason = "timeout"
