"""One hop of a link, fetched safely: the request Takedown sends and how much it reads.

- http and https only, on the web's usual ports; user names and passwords in a URL are dropped;
- the host is resolved and vetted (takedown.links.addresses) and the connection goes to the vetted
  address, with the name kept for the Host header, TLS SNI and certificate checks;
- no cookies, no credentials, no proxies from the environment: requests go straight to an httpx
  transport, never through a client with a cookie jar or auth;
- a fixed, honest User-Agent; redirects are not followed here (the resolver vets each hop);
- at most `max_body_bytes` of the body are read, and only while the deadline allows.

Example:
    fetcher = HopFetcher(httpx.HTTPTransport(), SystemResolver())
    hop = fetcher.get("https://bit.ly/x", deadline=time.monotonic() + 1.5)
    hop.status_code, hop.location, hop.body
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

from takedown.links.addresses import HostResolver, vet_host
from takedown.links.exceptions import BudgetExceededError, LinkError, PortRefusedError, SchemeRefusedError

USER_AGENT = "TakedownLinkCheck/1.0 (+safety check of links reposted by a subscribed X account; reads one page)"
MAX_BODY_BYTES = 256 * 1024
ALLOWED_PORTS = frozenset({80, 443, 8000, 8080, 8443})
CONNECT_TIMEOUT_SECONDS = 1.0
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Hop:
    """What one request answered: the status, where it redirects, and the first bytes of the body."""

    url: str
    status_code: int
    address: str
    location: str | None = None  # absolute, for a 3xx with a Location header
    content_type: str = ""
    body: bytes = b""
    truncated: bool = False  # the body was longer than the cap (or the deadline came first)

    @property
    def is_html(self) -> bool:
        return self.content_type in {"text/html", "application/xhtml+xml"}


class HopFetcher:
    """GETs one URL after vetting where it goes. `allow_loopback` is for tests and the local stack only."""

    def __init__(
        self,
        transport: httpx.BaseTransport,
        resolver: HostResolver,
        *,
        allow_loopback: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._resolver = resolver
        self._allow_loopback = allow_loopback
        self._max_body_bytes = max_body_bytes
        self._clock = clock

    def get(
        self,
        url: str,
        deadline: float,
        accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        read_any_type: bool = False,
        max_bytes: int | None = None,
    ) -> Hop:
        """Fetch `url` (raises a LinkError subclass: refused, unresolvable, timed out, failed).

        The body is read only for HTML (or any type with `read_any_type`, as the domain feeds need),
        up to `max_bytes` (the fetcher's cap by default)."""
        target = safe_url(url, self._allow_loopback)
        host = target.host
        port = target.port or _DEFAULT_PORTS[target.scheme]
        address = vet_host(host, port, self._resolver, self._allow_loopback)
        remaining = self._remaining(deadline)
        request = httpx.Request(
            "GET",
            target.copy_with(host=address),
            headers={
                "Host": host if target.port is None else f"{host}:{port}",
                "User-Agent": USER_AGENT,
                "Accept": accept,
                "Accept-Language": "en;q=0.9, *;q=0.5",
                "Accept-Encoding": "gzip, deflate, identity;q=0.5",
            },
            extensions={
                "sni_hostname": host,
                "timeout": {
                    "connect": min(remaining, CONNECT_TIMEOUT_SECONDS),
                    "read": remaining,
                    "write": remaining,
                    "pool": remaining,
                },
            },
        )
        try:
            response = self._transport.handle_request(request)
        except httpx.TimeoutException as error:
            raise BudgetExceededError(f"{host}: {type(error).__name__}") from error
        except httpx.HTTPError as error:
            raise LinkError(f"{host}: {type(error).__name__}: {error}") from error
        try:
            return self._read(
                url, target, address, response, deadline, read_any_type, max_bytes or self._max_body_bytes
            )
        finally:
            response.close()

    def _read(
        self,
        url: str,
        target: httpx.URL,
        address: str,
        response: httpx.Response,
        deadline: float,
        read_any_type: bool,
        cap: int,
    ) -> Hop:
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        location = response.headers.get("location") if response.status_code in _REDIRECTS else None
        if location is not None:
            return Hop(url, response.status_code, address, str(target.join(location)), content_type)
        if content_type not in {"text/html", "application/xhtml+xml"} and not read_any_type:
            return Hop(url, response.status_code, address, None, content_type)
        body = bytearray()
        truncated = False
        decoder = _decoder(response.headers.get("content-encoding", ""))
        if decoder is None:  # br, zstd...: not worth a decompressor in the layer; nothing is read
            return Hop(url, response.status_code, address, None, content_type, b"", True)
        try:
            for chunk in response.iter_raw():
                # max_length bounds what one compressed chunk may inflate to: no decompression bomb
                body += decoder.decompress(chunk, cap + 1 - len(body)) if decoder else chunk
                if len(body) > cap or self._clock() >= deadline:
                    truncated = True
                    break
        except httpx.TimeoutException:
            truncated = True  # what arrived before the deadline is still read
        except (httpx.HTTPError, zlib.error) as error:
            raise LinkError(f"{target.host}: {type(error).__name__}: {error}") from error
        body = body[:cap]
        return Hop(url, response.status_code, address, None, content_type, bytes(body), truncated)

    def _remaining(self, deadline: float) -> float:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise BudgetExceededError("no time left in the budget")
        return remaining


def _decoder(content_encoding: str) -> zlib._Decompress | Literal[False] | None:
    """A bounded decompressor for gzip or deflate, False for none, None for one we do not read."""
    encoding = content_encoding.strip().lower()
    if encoding in {"", "identity"}:
        return False
    if encoding in {"gzip", "x-gzip"}:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    return None


def safe_url(url: str, allow_loopback: bool = False) -> httpx.URL:
    """`url` as it will be requested: http(s) only, on a usual port, without user name or password."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as error:
        raise LinkError(f"not a URL: {error}") from error
    if parsed.scheme not in _DEFAULT_PORTS:
        raise SchemeRefusedError(f"scheme {parsed.scheme or '(none)'!r} is not followed")
    if not parsed.host:
        raise LinkError("no host")
    if parsed.port is not None and parsed.port not in ALLOWED_PORTS and not allow_loopback:
        raise PortRefusedError(f"port {parsed.port} is not followed")
    return parsed.copy_with(username=None, password=None, fragment=None)
