"""What a link says about where it goes: host, registrable domain, scheme, port, path.

The registrable domain comes from the Public Suffix List, read from the snapshot shipped beside
this module (`public_suffix_list.dat`, the copy bundled with tldextract 5.4.0, version
2025-04-07, MPL-2.0): no network call at run time, and none of tldextract's import cost (it
pulls in `requests`, a third of the rule-load budget). The lookup is the PSL algorithm (longest
matching rule, `*` wildcards, `!` exceptions) with ICANN and private sections both in force, so a
pirate site on a hosting suffix (crackstreams.netlify.app) keeps its own name. The unit tests
check it against tldextract on the same snapshot.

Hosts are compared in their ASCII (IDNA/punycode) form. For a name written in another script the
TR39-style skeleton of its label is kept too: pоrnhub.com with a Cyrillic "о" reads as "pornhub".
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from takedown.signatures.text import fold

PUBLIC_SUFFIX_LIST = Path(__file__).resolve().parent / "public_suffix_list.dat"


class PublicSuffixList:
    """The Public Suffix List as three sets of rules: plain, wildcard (`*.ck`) and exception (`!www.ck`).

    Rules are kept as the list writes them (IDN suffixes in Unicode: converting 500 of them to
    punycode would double the load time); an ASCII host's punycode labels are decoded to compare.
    """

    def __init__(self, text: str) -> None:
        plain: set[str] = set()
        wildcards: set[str] = set()
        exceptions: set[str] = set()
        for line in text.splitlines():
            rule = line.strip()
            if not rule or rule.startswith("//"):
                continue
            if rule.startswith("!"):
                exceptions.add(rule[1:])
            elif rule.startswith("*."):
                wildcards.add(rule[2:])
            else:
                plain.add(rule)
        self._plain = frozenset(plain)
        self._wildcards = frozenset(wildcards)
        self._exceptions = frozenset(exceptions)

    def suffix_length(self, labels: list[str]) -> int:
        """How many trailing labels form the public suffix (at least one: the implicit `*` rule)."""
        labels = [to_unicode(label) for label in labels]
        count = len(labels)
        for start in range(count):
            candidate = ".".join(labels[start:])
            if candidate in self._exceptions:
                return count - start - 1
            if candidate in self._plain:
                return count - start
            if start + 1 < count and ".".join(labels[start + 1 :]) in self._wildcards:
                return count - start
        return 1

    def is_public_suffix(self, name: str) -> bool:
        """Whether `name` is itself a listed suffix (com, co.uk, netlify.app)."""
        return to_unicode(name) in self._plain

    def registrable_domain(self, host: str) -> str | None:
        """The public suffix plus one label (bbc.co.uk for www.bbc.co.uk); None for a bare suffix."""
        labels = host.split(".")
        length = self.suffix_length(labels)
        return ".".join(labels[-length - 1 :]) if len(labels) > length else None


@cache
def public_suffixes() -> PublicSuffixList:
    """The bundled snapshot, read once per process."""
    return PublicSuffixList(PUBLIC_SUFFIX_LIST.read_text(encoding="utf-8"))


def to_ascii(name: str) -> str:
    """A host name in lowercase ASCII (IDNA/punycode); a name IDNA refuses stays as written."""
    name = name.strip().lower().rstrip(".")
    if name.isascii():
        return name
    with contextlib.suppress(UnicodeError):
        return name.encode("idna").decode("ascii")
    return name


def to_unicode(name: str) -> str:
    """The Unicode form of an ASCII host name (punycode labels decoded); invalid labels stay as written."""
    if "xn--" not in name:
        return name
    with contextlib.suppress(UnicodeError):
        return name.encode("ascii").decode("idna")
    return name


@dataclass(frozen=True, slots=True)
class Link:
    """One URL taken apart for matching.

    `suffixes` is the host and each parent down to the registrable domain (a.b.example.com,
    b.example.com, example.com): the names looked up in domain lists and allowlists. `labels`
    holds the registrable domain's own name in the forms matched against site names: as written,
    without hyphens or trailing digits (sites rotate crackstreams2, crack-streams), and its skeleton.
    `label_parts` are the pieces of that name between hyphens and digits (brazzers4free: brazzers,
    free; xvideos-jp7: xvideos): a brand inside a new name, read by the learned model, never a rule.
    """

    url: str
    scheme: str
    host: str
    port: int | None
    is_ip: bool
    registrable: str
    suffixes: tuple[str, ...]
    labels: frozenset[str]
    label_parts: frozenset[str] = frozenset()

    def is_under(self, domains: frozenset[str]) -> bool:
        """Whether the host is one of `domains` or under one, public suffixes included: a trusted
        "police.uk" or "gov.uk" covers www.sussex.police.uk and www.gov.uk."""
        labels = self.host.split(".")
        return any(".".join(labels[i:]) in domains for i in range(len(labels)))


@lru_cache(maxsize=65536)
def parse_link(url: str) -> Link | None:
    """Take `url` apart; None when it has no host at all. Cached: the same links recur in spam waves."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else f"http://{text}")
        host = to_ascii(parts.hostname or "")
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    scheme = parts.scheme.lower()
    if _is_ip(host):
        return Link(text, scheme, host, port, True, host, (host,), frozenset())
    registrable = public_suffixes().registrable_domain(host) or host
    labels = host.split(".")
    suffixes = tuple(".".join(labels[i:]) for i in range(len(labels) - registrable.count(".")))
    name = registrable.split(".")[0]
    return Link(text, scheme, host, port, False, registrable, suffixes, _label_forms(name), _label_parts(name))


def _label_forms(label: str) -> frozenset[str]:
    forms = {label, label.replace("-", ""), label.rstrip("0123456789-")}
    unicode_label = to_unicode(label)
    if unicode_label != label:
        skeleton = "".join(fold(unicode_label).split())
        forms |= {skeleton, skeleton.replace("-", "")}
    return frozenset(form for form in forms if form)


def _label_parts(label: str) -> frozenset[str]:
    """The one long piece of a name that is otherwise digits and short glue (brazzers4free,
    xvideos-jp7, 1tamilblasters); nothing for a name of two real words (deeper-learning-lab)."""
    pieces = [piece for piece in _BETWEEN_PARTS.split(label) if piece]
    long = [piece for piece in pieces if len(piece) >= _MIN_PART]
    if len(long) != 1 or long[0] == label:
        return frozenset()
    return frozenset(long)


_BETWEEN_PARTS = re.compile(r"[-0-9]+")
_MIN_PART = 5  # shorter pieces ("jp", "free", "hd", "tv", "vip") are the glue of a rotated name


def _is_ip(host: str) -> bool:
    if not (host.startswith("[") or ":" in host or host.replace(".", "").isdigit()):
        return False  # a name (the common case) is told apart without raising
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
