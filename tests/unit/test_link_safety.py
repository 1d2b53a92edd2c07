"""The fetcher refuses every address class that is not public, after DNS, on every hop, and
connects to the address it vetted, so a DNS answer that changes (rebinding) cannot reach them."""

from __future__ import annotations

import ipaddress
import time

import httpx
import pytest

from takedown.links import (
    AddressRefusedError,
    HopFetcher,
    LinkResolver,
    PortRefusedError,
    SchemeRefusedError,
    address_class,
    vet_host,
)
from tests.links_support import StubResolver

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("10.0.0.7", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd00:ec2::254", "instance metadata"),
    ("169.254.169.254", "instance metadata"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("100.64.0.1", "not global"),  # carrier-grade NAT, shared address space
    ("192.0.2.1", "private"),  # documentation
    ("198.18.0.1", "private"),  # benchmarking
    ("::ffff:127.0.0.1", "loopback (in IPv6)"),
    ("::ffff:169.254.169.254", "instance metadata (in IPv6)"),
    ("64:ff9b::a9fe:a9fe", "instance metadata (in IPv6)"),  # NAT64 of 169.254.169.254
    ("2002:a00:1::", "private (in IPv6)"),  # 6to4 of 10.0.0.1
]


@pytest.mark.parametrize(("address", "expected"), REFUSED)
def test_every_non_public_address_class_is_refused(address: str, expected: str) -> None:
    assert address_class(ipaddress.ip_address(address)) == expected
    with pytest.raises(AddressRefusedError) as refused:
        vet_host("innocent.example", 443, StubResolver({"innocent.example": [address]}))
    assert refused.value.address_class == expected


@pytest.mark.parametrize("address", ["93.184.215.14", "151.101.0.81", "2606:4700::6810:84e5"])
def test_public_addresses_pass(address: str) -> None:
    assert address_class(ipaddress.ip_address(address)) is None
    assert vet_host("site.example", 443, StubResolver({"site.example": [address]})) == address


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    resolver = StubResolver({"mixed.example": ["93.184.215.14", "10.1.2.3"]})
    with pytest.raises(AddressRefusedError, match=r"10\.1\.2\.3 \(private\)"):
        vet_host("mixed.example", 443, resolver)


def test_ip_literals_are_vetted_without_dns() -> None:
    resolver = StubResolver({})
    with pytest.raises(AddressRefusedError):
        vet_host("169.254.169.254", 80, resolver)
    with pytest.raises(AddressRefusedError):
        vet_host("[::1]", 80, resolver)
    assert resolver.asked == []


def test_loopback_only_through_the_explicit_setting() -> None:
    resolver = StubResolver({"local.example": ["127.0.0.1"]})
    assert vet_host("local.example", 80, resolver, allow_loopback=True) == "127.0.0.1"
    with pytest.raises(AddressRefusedError):
        vet_host("local.example", 80, resolver)
    with pytest.raises(AddressRefusedError):  # the setting is for loopback only, never the VPC or metadata
        vet_host("meta.example", 80, StubResolver({"meta.example": ["169.254.169.254"]}), allow_loopback=True)


class RebindingResolver:
    """Public the first time a name is asked, loopback afterwards: a DNS rebinding attack."""

    def __init__(self) -> None:
        self.calls = 0

    def addresses(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return ["93.184.215.14"] if self.calls == 1 else ["127.0.0.1"]


def test_the_connection_goes_to_the_vetted_address_so_rebinding_cannot_reach_loopback() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = httpx.ByteStream(b"<title>ok</title>")  # streamed, as a real transport answers
        return httpx.Response(200, headers={"Content-Type": "text/html"}, stream=body)

    resolver = RebindingResolver()
    fetcher = HopFetcher(httpx.MockTransport(handler), resolver)
    hop = fetcher.get("https://rebind.example/page", time.monotonic() + 1)
    assert hop.address == "93.184.215.14"
    assert resolver.calls == 1  # resolved once; nothing asks DNS again before connecting
    [request] = seen
    assert request.url.host == "93.184.215.14"
    assert request.headers["Host"] == "rebind.example"
    assert request.extensions["sni_hostname"] == "rebind.example"  # TLS still checks the name's certificate


def test_each_hop_is_vetted_so_a_redirect_to_metadata_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam/"})

    resolver = StubResolver({"short.example": ["93.184.215.14"]})
    links = LinkResolver(HopFetcher(httpx.MockTransport(handler), resolver))
    [page] = links.resolve_all(["https://short.example/x"])
    assert page.outcome == "refused"
    assert page.chain == ("https://short.example/x", "http://169.254.169.254/latest/meta-data/iam/")
    assert "instance metadata" in page.detail


def test_a_redirect_to_a_name_that_resolves_privately_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "http://intranet.example/admin"})

    resolver = StubResolver({"short.example": ["93.184.215.14"], "intranet.example": ["10.0.0.5"]})
    [page] = LinkResolver(HopFetcher(httpx.MockTransport(handler), resolver)).resolve_all(["https://short.example/y"])
    assert page.outcome == "refused"
    assert "10.0.0.5 (private)" in page.detail


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x.example/", "ftp://x.example/", "javascript:alert(1)", "data:text/html,hi"]
)
def test_only_http_and_https_are_followed(url: str) -> None:
    fetcher = HopFetcher(httpx.MockTransport(lambda r: httpx.Response(200)), StubResolver({}))
    with pytest.raises(SchemeRefusedError):
        fetcher.get(url, time.monotonic() + 1)


@pytest.mark.parametrize("port", [22, 25, 6379, 11211, 2375])
def test_other_services_ports_are_refused(port: int) -> None:
    fetcher = HopFetcher(httpx.MockTransport(lambda r: httpx.Response(200)), StubResolver({"a.example": ["8.8.8.8"]}))
    with pytest.raises(PortRefusedError):
        fetcher.get(f"http://a.example:{port}/", time.monotonic() + 1)


def test_credentials_in_the_url_are_never_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    fetcher = HopFetcher(httpx.MockTransport(handler), StubResolver({"a.example": ["8.8.8.8"]}))
    fetcher.get("https://admin:hunter2@a.example/x#frag", time.monotonic() + 1)
    [request] = seen
    assert "Authorization" not in request.headers
    assert "hunter2" not in str(request.url)
