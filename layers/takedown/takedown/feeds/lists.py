"""Public domain lists as they are published: plain domains, hosts files and Adblock rules.

`read_list` keeps every line that names one registrable-or-deeper domain and counts the rest, so
a download that is not a list (an HTML error page, a tampered file) shows as mostly rejected
lines and is refused by the refresher. Entries on trusted names (gov.uk, police.uk, ac.uk,
licensed broadcasters: the packs' trusted domains) are dropped here: public lists carry
university and county hosts by substring accident, and trusted names always win.

Example:
    listed = read_list("0.0.0.0 crackstreams.biz\\n||sportsurge.net^\\n", trusted=frozenset({"gov.uk"}))
    listed.domains  # frozenset({"crackstreams.biz", "sportsurge.net"})
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from takedown.signatures.links import public_suffixes, to_ascii

_HOSTS_ADDRESSES = frozenset({"0.0.0.0", "127.0.0.1", "::", "::1", "::0"})  # noqa: S104 - hosts-file syntax
_COMMENT = ("#", "!", "[", "//", ";")
_NAME = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_NOT_DOMAINS = frozenset({"localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost"})
_MAX_LINE = 512


@dataclass(frozen=True)
class DomainList:
    domains: frozenset[str]
    rejected: int  # lines that were neither a comment nor a domain
    trusted_dropped: tuple[str, ...]  # listed, but on a trusted name: never stored

    @property
    def rejected_share(self) -> float:
        return self.rejected / max(1, self.rejected + len(self.domains) + len(self.trusted_dropped))


def read_list(text: str, trusted: frozenset[str] = frozenset()) -> DomainList:
    """The domains in a published list; see the module docstring for the formats read."""
    domains: set[str] = set()
    dropped: set[str] = set()
    rejected = 0
    suffixes = public_suffixes()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(_COMMENT):
            continue
        name = _entry(line)
        if name is None or suffixes.registrable_domain(name) is None:  # a bare suffix (com, github.io) lists everyone
            rejected += 1
            continue
        labels = name.split(".")
        if any(".".join(labels[i:]) in trusted for i in range(len(labels))):
            dropped.add(name)
            continue
        domains.add(name)
    return DomainList(frozenset(domains), rejected, tuple(sorted(dropped)))


def _entry(line: str) -> str | None:
    if len(line) > _MAX_LINE:
        return None
    line = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
    if line.startswith("||"):  # Adblock: ||example.com^ or ||example.com^$third-party
        line = line[2:].split("^", 1)[0]
    else:
        parts = line.split()
        if len(parts) == 2 and parts[0] in _HOSTS_ADDRESSES:
            line = parts[1]
        elif len(parts) != 1:
            return None
    name = to_ascii(line.removeprefix("*.").removeprefix("."))
    if name in _NOT_DOMAINS or not _NAME.match(name):
        return None
    return name
