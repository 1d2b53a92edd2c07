"""What a landing page says about itself: the evidence a person reads when they follow a link.

`read_page` parses the first bytes of an HTML page (selectolax, the Lexbor HTML5 parser) into
`PageEvidence`: title, meta description, Open Graph tags, the RTA adult label and `rating` meta,
age-gate markers, video players and HLS/DASH manifests, live/stream wording, and the page's text
for the judgement. `next_hop` finds the redirects a browser would follow without a click: a
`<meta http-equiv=refresh>` and the common JavaScript `location = "..."` one-liners.

`LandingPage` is the whole result for one posted URL: the chain of hops, how it ended, and the
evidence of the final page. It is a plain value: the judgement reads it, the incident keeps it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin

RTA_LABEL = "RTA-5042-1996-1400-1577-RTA"
TEXT_CHARS = 2000  # of the page's visible text, for the judgement
_FIELD_CHARS = 300

# How resolution of one URL ended. Only "page" (and "not_html") carry evidence about the page;
# every other outcome is evidence of nothing: it says why there is none.
Outcome = Literal["page", "not_html", "refused", "timeout", "error", "hop_limit", "loop", "skipped"]

_LIVE_WORDS = frozenset(
    {"live", "livestream", "livestreams", "stream", "streams", "streaming", "ppv", "directo", "diretta", "canlı",
     "canli", "прямой", "трансляция", "مباشر"}
)  # fmt: skip
_LIVE_PHRASES = ("en vivo", "ao vivo", "en direct", "watch free", "直播", "ライブ", "生中継")
_AGE_GATE_PHRASES = (
    "are you 18", "are you over 18", "i am 18", "i am over 18", "18 or older", "18 years or older",
    "over 18", "18+ only", "adults only", "age verification", "verify your age", "you must be 18",
    "you must be at least 18", "enter only if you are", "21 or older", "confirm your age", "plus de 18 ans",
    "mayor de 18", "mayores de 18", "ab 18",
)  # fmt: skip
_AGE_GATE_ATTR = re.compile(r"age[-_ ]?(?:gate|verif|check|confirm|warning|disclaimer)|over18|adult[-_]?warning", re.I)
_PLAYERS = re.compile(
    r"hls(?:\.min|\.light)?\.js|\bnew\s+Hls\s*\(|video(?:\.min)?\.js|videojs|jwplayer|clappr|flowplayer|dash(?:\.all)?"
    r"(?:\.min)?\.js|shaka-player|\bplyr\b|mediaelement|fluidplayer|mpegts(?:\.min)?\.js",
    re.I,
)
_MANIFEST = re.compile(r"\.(?:m3u8|mpd)(?=[\"'?#\s&)]|$)", re.I)
_MANIFEST_TYPES = frozenset(
    {"application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl", "application/dash+xml"}
)
_REFRESH = re.compile(r"^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?[\"']?\s*([^\"'\s][^\"']*)", re.I)
_JS_LOCATION = re.compile(
    r"(?:\b(?:window|document|top|self|parent)\.)?\blocation(?:\.href)?\s*=\s*([\"'])([^\"']{1,2000})\1"
    r"|\blocation\.(?:replace|assign)\(\s*([\"'])([^\"']{1,2000})\3\s*\)",
)
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FeedHit:
    """A host found in a public domain list (takedown.feeds): strong evidence, never a verdict alone."""

    host: str  # the name listed: the hop's host or a parent of it
    source: str  # the feed's name, as configured
    first_seen: str  # ISO date the list first had it

    def __str__(self) -> str:
        return f"{self.host} on {self.source} since {self.first_seen}"


@dataclass(frozen=True)
class PageEvidence:
    """What one HTML page says about itself."""

    title: str = ""
    description: str = ""
    og: dict[str, str] = field(default_factory=dict)  # og:title, og:type, og:video... without the prefix
    rta_label: bool = False
    rating: str = ""
    age_gate: bool = False
    video_player: bool = False
    manifest: bool = False
    live_words: bool = False
    text: str = ""


@dataclass(frozen=True)
class LandingPage:
    """Where one posted URL led, and what the page there says.

    `chain` is every URL requested, the posted one first; `final_url` the last of them. Evidence
    fields are empty unless `outcome` is "page" (HTML read) or "not_html" (a manifest or a video
    can still be told from its type or URL).
    """

    url: str
    chain: tuple[str, ...]
    outcome: Outcome
    detail: str = ""
    final_host: str = ""
    status_code: int | None = None
    content_type: str = ""
    truncated: bool = False
    title: str = ""
    description: str = ""
    og: dict[str, str] = field(default_factory=dict)
    rta_label: bool = False
    rating: str = ""
    age_gate: bool = False
    video_player: bool = False
    manifest: bool = False
    live_words: bool = False
    text: str = ""
    feed_hits: tuple[FeedHit, ...] = ()

    @property
    def final_url(self) -> str:
        return self.chain[-1] if self.chain else self.url

    @property
    def evidence(self) -> tuple[str, ...]:
        """Each piece of evidence, readably: what the incident and `takedown links check` show."""
        found: list[str] = []
        if len(self.chain) > 1:
            found.append(f"led to {self.final_host} in {len(self.chain) - 1} hop(s)")
        if self.rta_label:
            found.append(f"RTA adult label ({RTA_LABEL})")
        if self.rating:
            found.append(f"rating meta: {self.rating}")
        if self.age_gate:
            found.append("age gate")
        if self.video_player:
            found.append("video player")
        if self.manifest:
            found.append("HLS/DASH manifest")
        if self.live_words:
            found.append("live/stream wording")
        found.extend(f"listed: {hit}" for hit in self.feed_hits)
        if self.title:
            found.append(f"title: {self.title[:120]}")
        return tuple(found)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (the cache and the incident keep this)."""
        record = asdict(self)
        record["chain"] = list(self.chain)
        record["feed_hits"] = [asdict(hit) for hit in self.feed_hits]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LandingPage:
        values = {name: record[name] for name in cls.__dataclass_fields__ if name in record}
        values["chain"] = tuple(values.get("chain", ()))
        values["feed_hits"] = tuple(FeedHit(**hit) for hit in values.get("feed_hits", ()))
        return cls(**values)

    @classmethod
    def with_evidence(cls, url: str, chain: tuple[str, ...], evidence: PageEvidence, **hop: Any) -> LandingPage:
        return cls(url=url, chain=chain, **hop, **asdict(evidence))


def read_html(html: bytes, url: str, content_type: str = "text/html") -> tuple[PageEvidence, str | None]:
    """The evidence in the first bytes of an HTML page (served from `url`), and where the page sends
    a browser without a click: a meta refresh first, then a JavaScript location one-liner."""
    from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415 - loaded by the first page, not at cold start

    text = html.decode(_charset(html, content_type), errors="replace")
    tree = LexborHTMLParser(text)
    metas: dict[str, str] = {}
    og: dict[str, str] = {}
    refresh: str | None = None
    for meta in tree.css("meta"):
        attrs = {k.lower(): (v or "") for k, v in meta.attributes.items()}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("http-equiv") or "").strip().lower()
        content = _clean(attrs.get("content", ""))
        if key == "refresh" and refresh is None:
            refresh = _refresh_target(content, url)
        if not key or not content:
            continue
        if key.startswith("og:"):
            og.setdefault(key[3:], content)
        metas.setdefault(key, content)
    title_node = tree.css_first("title")
    title = _clean(title_node.text() if title_node else "") or og.get("title", "")
    description = metas.get("description", "") or og.get("description", "")
    rating = metas.get("rating", "") or metas.get("pics-label", "")
    scripts = [(node.attributes.get("src") or "", node.text() or "") for node in tree.css("script")]
    script_text = " ".join(f"{src} {body}" for src, body in scripts)
    sources = " ".join(
        f"{node.attributes.get('src') or ''} {node.attributes.get('type') or ''}"
        for node in tree.css("video, source, iframe, embed")
    )
    marked = " ".join(
        f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}" for node in tree.css("[id], [class]")
    )
    has_video = tree.css_first("video") is not None
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    body = tree.body
    visible = _clean(body.text(separator=" ") if body else "")
    readable = " ".join(part for part in (title, description, og.get("title", ""), visible) if part)
    lowered = readable.lower()
    words = set(_WORD.findall(" ".join((lowered[:6000], og.get("type", "").lower()))))
    evidence = PageEvidence(
        title=title[:_FIELD_CHARS],
        description=description[:_FIELD_CHARS],
        og={key: value[:_FIELD_CHARS] for key, value in list(og.items())[:20]},
        rta_label=RTA_LABEL.lower() in text.lower(),
        rating=rating[:64].lower(),
        age_gate=any(phrase in lowered for phrase in _AGE_GATE_PHRASES) or bool(_AGE_GATE_ATTR.search(marked)),
        video_player=has_video or bool(_PLAYERS.search(script_text)) or "video" in og.get("type", ""),
        manifest=bool(_MANIFEST.search(text) or _MANIFEST.search(url))  # in a script, a source, a data- attribute
        or any(kind in sources.lower() for kind in _MANIFEST_TYPES),
        live_words=bool(words & _LIVE_WORDS) or any(phrase in lowered for phrase in _LIVE_PHRASES),
        text=readable[:TEXT_CHARS],
    )
    return evidence, refresh or _script_target(scripts, url)


def read_other(url: str, content_type: str) -> PageEvidence:
    """What a response that is not HTML still tells: a stream manifest or a video, by its type or URL."""
    return PageEvidence(
        manifest=content_type in _MANIFEST_TYPES or bool(_MANIFEST.search(url)),
        video_player=content_type.startswith("video/"),
    )


def _refresh_target(content: str, url: str) -> str | None:
    found = _REFRESH.match(content)
    if not found or not ("=" in content or ";" in content or "," in content):
        return None  # "5" alone reloads the same page
    target: str = found.group(1)
    return urljoin(url, target.strip())


def _script_target(scripts: list[tuple[str, str]], url: str) -> str | None:
    for src, body in scripts:
        if src:
            continue
        found = _JS_LOCATION.search(body)
        if found:
            target: str = found.group(2) or found.group(4)
            return urljoin(url, target)
    return None


def _charset(html: bytes, content_type: str) -> str:
    found = re.search(r"charset=[\"']?([\w.-]+)", content_type, re.I) or re.search(
        rb"<meta[^>]+charset=[\"']?([\w.-]+)", html[:2048], re.I
    )
    if not found:
        return "utf-8"
    name = found.group(1)
    name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name


def _clean(value: str) -> str:
    return _SPACE.sub(" ", value).strip()
