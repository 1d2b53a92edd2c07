"""A stand-in for the open web on loopback: landing pages, redirect chains, slow and hanging servers,
and public domain lists, for the link resolver's and the feed refresher's tests, demo and bench.

Routes are set per path; `SAMPLE_PAGES` are the kinds of page the resolver must tell apart.

Example:
    with WebStandIn() as web:
        web.redirect("/s/abc", "/fight")
        web.page("/fight", SAMPLE_PAGES["hls_player"])
        resolver.resolve_all([web.url + "/s/abc"])
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from takedown_local.standins.server import LoopbackServer

SAMPLE_PAGES = {
    "rta_label": """<!doctype html><html><head><title>Hot cams - free HD videos</title>
<meta name="RATING" content="RTA-5042-1996-1400-1577-RTA">
<meta name="description" content="Free adult videos, updated daily">
<meta property="og:title" content="Hot cams"><meta property="og:type" content="video.other"></head>
<body><div class="age-gate-modal"><p>This website contains adult material. Are you 18 or older?</p>
<button>Enter</button></div><video src="/v/1.mp4"></video></body></html>""",
    "hls_player": """<!doctype html><html><head><title>Joshua v Takam LIVE stream HD</title>
<meta property="og:title" content="Watch Joshua v Takam live free">
<meta property="og:description" content="Boxing live stream, no signup">
<script src="https://cdn.jsdelivr.net/npm/hls.js@1.5.0/dist/hls.min.js"></script></head>
<body><h1>Live now: Joshua v Takam</h1><video id="player" controls></video>
<script>var hls = new Hls(); hls.loadSource("https://edge.example-cdn.net/live/ppv/index.m3u8");
hls.attachMedia(document.getElementById("player"));</script></body></html>""",
    "dash_player": """<html><head><title>Match centre</title>
<script src="/js/dash.all.min.js"></script></head><body><p>Streaming en vivo</p>
<video data-src="/manifests/match.mpd"></video></body></html>""",
    "age_gate": """<html><head><title>Welcome</title></head><body>
<div id="ageverification"><h2>Age verification</h2><p>You must be 18 or over to enter this site.</p>
<a href="/enter">I am 18 or older</a> <a href="https://www.google.com">Leave</a></div></body></html>""",
    "benign": """<!doctype html><html lang="en"><head><title>Missing person appeal | Sussex Police</title>
<meta name="description" content="Have you seen Sam? Please call 101 quoting reference 47190.">
<meta property="og:title" content="Missing person appeal"><meta property="og:type" content="article"></head>
<body><main><h1>Missing person appeal</h1><p>Officers are concerned for the welfare of Sam, 15, last seen in
Brighton on Saturday evening. If you see Sam please call 999.</p></main></body></html>""",
    "link_hub": """<html><head><title>links</title>
<meta http-equiv="refresh" content="0; url=/fight"></head><body>Redirecting...</body></html>""",
    "js_redirect": """<html><head><script>window.location.href = "/fight";</script></head><body></body></html>""",
}


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # before the status line: a slow or (long) hanging server
    trickle_seconds: float = 0.0  # between body bytes: a server that never quite finishes


class WebStandIn(LoopbackServer):
    """Serves the routes set on it; anything else is 404. Counts requests per path."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self._routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []

    def route(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes[path] = route

    def page(self, path: str, html: str | bytes, content_type: str = "text/html; charset=utf-8", **kw: float) -> None:
        body = html.encode("utf-8") if isinstance(html, str) else html
        self.route(path, Route(body=body, headers={"Content-Type": content_type}, **kw))  # type: ignore[arg-type]

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.route(path, Route(status=status, headers={"Location": location}))

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for seen, _ in self.requests if seen == path)

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.path, dict(request.headers)))
            route = self._routes.get(request.path)
        if route is None:
            return Response("not found", status=404, content_type="text/plain")
        if route.delay_seconds:
            time.sleep(route.delay_seconds)
        if route.trickle_seconds:
            return Response(_trickle(route.body, route.trickle_seconds), status=route.status, headers=route.headers)
        return Response(route.body, status=route.status, headers=route.headers)


def _trickle(body: bytes, pause: float) -> Iterator[bytes]:
    for index in range(len(body)):
        yield body[index : index + 1]
        time.sleep(pause)
