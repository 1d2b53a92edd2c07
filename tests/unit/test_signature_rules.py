"""Every rule's own examples: each must (or must not) make that rule fire, with the default packs."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
import tldextract
from pydantic import ValidationError

from takedown.repost import Author, Repost
from takedown.signatures import Signals, SignatureEngine, TrustList
from takedown.signatures.engine import PACKS_DIR
from takedown.signatures.links import parse_link, public_suffixes
from takedown.signatures.rules import Rule, RuleExample, RuleMatch, load_pack
from takedown.signatures.text import tokens

ENGINE = SignatureEngine.load_default()


def repost_from(example: RuleExample) -> Repost:
    return Repost(
        account_id="1",
        post_id="2",
        kind="retweet",
        by_account=True,
        source_post_id="3",
        source_author=Author(id="4", handle="someone", bio=example.bio),
        text=example.text,
        urls=example.urls,
        possibly_sensitive=example.possibly_sensitive,
    )


def fired(rule: Rule, example: RuleExample) -> bool:
    signals: Signals = ENGINE.signals(repost_from(example))
    return signals.fired(rule.id)


CASES = [
    pytest.param(rule, example, expected, id=f"{rule.id}-{kind}-{index}")
    for rule in ENGINE.rules.values()
    for kind, expected in (("match", True), ("no_match", False))
    for index, example in enumerate(rule.examples.get(kind, ()))
]


def test_every_rule_has_examples_both_ways() -> None:
    for rule in ENGINE.rules.values():
        assert rule.examples.get("match") and rule.examples.get("no_match"), rule.id


@pytest.mark.parametrize(("rule", "example", "expected"), CASES)
def test_rule_examples(rule: Rule, example: RuleExample, expected: bool) -> None:
    assert fired(rule, example) is expected


def test_versions_are_content_hashes(tmp_path: Path) -> None:
    """A rule's version is its content's SHA-256: the same rule read from another file keeps it, and
    any change to what it matches, weighs or says gives a new one."""
    rule = ENGINE.rules["stream.site.name"]
    canonical = json.dumps(rule.model_dump(mode="json", by_alias=True), sort_keys=True).encode()
    assert rule.version == hashlib.sha256(canonical).hexdigest()[:12]
    source = next(path for path in PACKS_DIR.glob("*.yaml") if "stream.site.name" in path.read_text(encoding="utf-8"))
    copy = tmp_path / "elsewhere.yaml"
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert next(r for r in load_pack(copy).rules if r.id == rule.id).version == rule.version
    changes = [
        {"weight": rule.weight / 2},
        {"description": rule.description + "."},
        {"match": rule.match.model_copy(update={"domain_labels": (*rule.match.domain_labels, "newpiratesite")})},
    ]
    versions = {rule.model_copy(update=change).version for change in changes}
    assert len(versions) == len(changes) and rule.version not in versions


def test_default_packs_are_substantial_and_cite_their_sources() -> None:
    packs = [load_pack(path) for path in sorted(PACKS_DIR.glob("*.yaml"))]
    assert all(pack.sources for pack in packs)
    for category in ("illegal_stream", "adult"):
        rules = [rule for rule in ENGINE.rules.values() if rule.category == category]
        names = sum(len(rule.match.domains) + len(rule.match.domain_labels) for rule in rules)
        phrases = sum(len(rule.match.phrases) for rule in rules)
        assert names >= 250 and phrases >= 100, (category, names, phrases)


def test_a_rule_naming_a_url_instead_of_a_host_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a host name"):
        RuleMatch(domains=("example.com/erotic",))


# Text normalisation: fold, tokenise, then match whole tokens.


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("𝗙𝗥𝗘𝗘 𝗦𝗧𝗥𝗘𝗔𝗠", ["free", "stream"]),  # mathematical bold
        ("Ｆｒｅｅ ｓｔｒｅａｍ", ["free", "stream"]),  # fullwidth
        ("Ⓕⓡⓔⓔ ⓢⓣⓡⓔⓐⓜ", ["free", "stream"]),  # enclosed
        ("ꜰʀᴇᴇ ꜱᴛʀᴇᴀᴍ", ["free", "stream"]),  # small caps
        ("frее strеam", ["free", "stream"]),  # Cyrillic е
        ("f\u200br\u200be\u200be stream", ["free", "stream"]),  # zero-width spaces
        ("F R E E  S T R E A M", ["free", "stream"]),  # spaced out, a wide gap between words
        ("fr33 str3am p0rn $ex p@rn", ["free", "stream", "porn", "sex", "parn"]),  # leetspeak
        ("Sussex, Essex, Middlesex and Scunthorpe", ["sussex", "essex", "middlesex", "and", "scunthorpe"]),
        ("🔴LIVE £19.99", ["live", "19", "99"]),
        ("بثّ مباشر", ["بث", "مباشر"]),  # diacritics dropped, Arabic kept
        ("@essexpolice I am a b", ["essexpolice", "i", "am", "a", "b"]),
    ],
)
def test_folding_undoes_obfuscation_without_inventing_words(written: str, words: list[str]) -> None:
    assert tokens(written) == words


def test_evidence_is_the_phrase_as_written() -> None:
    repost = repost_from(RuleExample(text="Tonight: 𝗙𝗥𝗘𝗘 𝗦𝗧𝗥𝗘𝗔𝗠, no sign-up!", urls=("https://bit.ly/x",)))
    assert ENGINE.signals(repost).evidence["stream.words.free_live"] == ["𝗙𝗥𝗘𝗘 𝗦𝗧𝗥𝗘𝗔𝗠", "no sign-up"]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("live! link in bio", False),
        ("We are live. Link in bio", False),
        ("LIVE LINK 👇", True),
        ("live 🔴 link below", True),
        ("FREE\nSTREAM tonight", True),
    ],
)
def test_a_phrase_is_never_matched_across_the_end_of_a_sentence(text: str, matched: bool) -> None:
    evidence = ENGINE.signals(repost_from(RuleExample(text=text))).evidence.get("stream.words.free_live", [])
    assert bool(evidence) == matched, evidence


def test_police_warnings_are_never_bad() -> None:
    for text in (
        "Sussex Police: revenge porn is a crime. Call the Revenge Porn Helpline",
        "Illegal streams of the Joshua fight are a scam and carry malware. Watch it legally.",
        "Essex sexual offences unit appeal: have you seen this man?",
        "Sextortion: someone threatens to share your nudes unless you pay? Don't pay, stop replying, tell us.",
        "Alerta de sextorsión: si te piden dinero por tus fotos íntimas, no pagues.",
    ):
        verdict = ENGINE.classify(repost_from(RuleExample(text=text, urls=("https://bit.ly/x",))))
        assert not verdict.is_bad, (text, verdict)


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("crackstreams dot biz tonight", True),
        ("yalla-shoot[.]com", True),
        ("crackstreams.biz", True),
        ('un reato ("revenge porn"). Se sei vittima', False),  # a quote, a bracket, a full stop: no domain
    ],
)
def test_a_spelled_domain_needs_a_dot_between_name_and_suffix(text: str, spelled: bool) -> None:
    signals = ENGINE.signals(repost_from(RuleExample(text=text)))
    assert any(rule_id not in signals.linked for rule_id in signals.evidence) is spelled, signals.evidence


def test_a_pirate_site_named_in_a_court_report_is_news_not_a_link() -> None:
    report = "Das Landgericht hat den Betreiber des illegalen Portals kinox.to zu drei Jahren Haft verurteilt."
    assert not ENGINE.classify(repost_from(RuleExample(text=report))).is_bad
    assert ENGINE.classify(repost_from(RuleExample(text="Film heute", urls=("https://kinox.to/x",)))).is_bad


def test_trust_list_clears_the_accounts_own_domains_and_authors() -> None:
    bad = repost_from(RuleExample(text="link", urls=("https://crackstreams.biz/x",)))
    assert ENGINE.classify(bad).category == "illegal_stream"
    assert not ENGINE.classify(bad, TrustList(trusted_domains=frozenset({"crackstreams.biz"}))).is_bad
    assert not ENGINE.classify(bad, TrustList(trusted_author_ids=frozenset({"4"}))).is_bad
    assert not ENGINE.classify(bad, TrustList(trusted_author_handles=frozenset({"@SomeOne"}))).is_bad


def test_verdict_carries_rule_version_and_evidence() -> None:
    verdict = ENGINE.classify(repost_from(RuleExample(urls=("https://www.pornhub.com/view?x=1",))))
    assert verdict.is_bad and verdict.category == "adult" and verdict.score >= 0.8
    matches = {match.rule: match for match in verdict.contributions}
    assert set(matches) == {"adult.site.name", "adult.site.host_words"}
    site = matches["adult.site.name"]
    assert (site.version, site.evidence) == (ENGINE.rules["adult.site.name"].version, "www.pornhub.com")


# Links: the Public Suffix List, IDN, IPs, ports.

HOSTS = [
    "www.bbc.co.uk", "a.b.example.com", "sussex.police.uk", "www.essex.ac.uk", "crackstreams.netlify.app",
    "foo.bar.ck", "www.ck", "city.kawasaki.jp", "x.city.kawasaki.jp", "co.uk", "example.xn--p1ai",
    "streams.s3.amazonaws.com", "user.github.io", "localhost", "pornhub.com.br",
]  # fmt: skip


@pytest.mark.parametrize("host", HOSTS)
def test_registrable_domain_agrees_with_tldextract_offline(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network call was attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    oracle = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
    expected = oracle(host).top_domain_under_public_suffix or None
    assert public_suffixes().registrable_domain(host) == expected


def test_an_unlisted_suffix_follows_the_implicit_star_rule() -> None:
    """tldextract gives up on an unknown TLD; the PSL algorithm's `*` rule keeps the site's name."""
    assert public_suffixes().registrable_domain("live.crackstreams.newtld") == "crackstreams.newtld"


@pytest.mark.parametrize(
    ("url", "host", "suffixes"),
    [
        ("https://a.b.example.co.uk:8443/x", "a.b.example.co.uk", ("a.b.example.co.uk", "b.example.co.uk",
                                                                  "example.co.uk")),
        ("http://user:pw@185.10.20.30:8080/live", "185.10.20.30", ("185.10.20.30",)),
        ("https://Bücher.EXAMPLE.", "xn--bcher-kva.example", ("xn--bcher-kva.example",)),
        ("acestream://4c2ab0a6f2e4b5d9", "4c2ab0a6f2e4b5d9", ("4c2ab0a6f2e4b5d9",)),
    ],
)  # fmt: skip
def test_links_are_taken_apart(url: str, host: str, suffixes: tuple[str, ...]) -> None:
    link = parse_link(url)
    assert link is not None and (link.host, link.suffixes) == (host, suffixes)


def test_look_alike_and_rotated_site_names_are_recognised() -> None:
    assert "pornhub" in parse_link("https://xn--prnhub-wqf.com/").labels  # type: ignore[union-attr]
    assert "crackstreams" in parse_link("https://crackstreams2.live/").labels  # type: ignore[union-attr]
    assert parse_link("http://[::1") is None
