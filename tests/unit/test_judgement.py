"""The judgement: text folding per script, the model artifact, the Judge's combination and safeguards,
reproducible training, and the corpora kept apart."""

from __future__ import annotations

import hashlib
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from takedown.judgement.features import (
    FEATURES_VERSION,
    calls_to_action_unspaced,
    post_features,
    raw_stream_formats,
    spelled_domains,
)
from takedown.judgement.judge import Judge
from takedown.judgement.model import ARTIFACT, LearnedModel, ModelArtifactError
from takedown.judgement.pages import PAGE_RULES_VERSION
from takedown.judgement.verdict import CATEGORIES
from takedown.links.page import FeedHit, LandingPage
from takedown.repost import Author, Repost
from takedown.signatures import SignatureEngine, TrustList
from takedown.signatures.engine import BAD_SCORE
from takedown.signatures.text import tokens
from takedown_cli.model.corpus import CorpusError, CorpusPost, load_corpus
from takedown_cli.model.crossval import held_out_by_writer, print_held_out
from takedown_cli.model.evaluate import Report, gate, obfuscation_gate, still_caught
from takedown_cli.model.obfuscation import TRICKS, obfuscate
from takedown_cli.model.train import _choose_thresholds, corpus_hash, out_of_fold_splits, train

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Порно бесплатно", ["порно", "бесплатно"]),  # Cyrillic stays Cyrillic
        ("пoрно", ["порно"]),  # a Latin o inside a Cyrillic word is read as Cyrillic
        ("Ελληνικά", ["ελληνικά"]),
        ("ΟΝLYFANS", ["onlyfans"]),  # Greek capitals inside a Latin word are Latin
        ("strеam", ["stream"]),  # Cyrillic е
        ("ӏive", ["live"]),  # Cyrillic palochka is an l, not an i
        ("lіnk kаt bіо", ["link", "kat", "bio"]),  # more Cyrillic than Latin, but b has no Cyrillic twin
        ("Сom", ["com"]),
        ("fu11 f1ght 1ive p1ay", ["full", "fight", "live", "play"]),
        ("free🔥stream", ["free", "stream"]),
        ("F R E E  stream", ["free", "stream"]),
        ("ᴏɴʟʏꜰᴀɴꜱ", ["onlyfans"]),
        ("transmisión só promoções", ["transmision", "so", "promocoes"]),  # ó ô õ lose accents too
        ("không côté który", ["khong", "cote", "ktory"]),
        ("𝐟𝐫𝐞𝐞", ["free"]),
        ("f\u200br\u200be\u200be", ["free"]),
        ("मुफ्त लाइव", ["मुफ्त", "लाइव"]),  # Devanagari keeps its vowel signs
        ("ดูบอลสด ฟรี", ["ดูบอลสด", "ฟรี"]),
        ("இலவச நேரலை", ["இலவச", "நேரலை"]),
        ("免费直播", ["免费直播"]),
        ("Sussex Essex Scunthorpe", ["sussex", "essex", "scunthorpe"]),
        ("Straße grátis", ["strasse", "gratis"]),
    ],
)
def test_folding_keeps_each_script_and_undoes_each_trick(written: str, folded: list[str]) -> None:
    assert tokens(written) == folded


def _artifact(weights: dict[str, tuple[float, float]], may_undo: bool, intercepts=(-3.0, -3.0)) -> LearnedModel:
    header = {
        "format": 1,
        "features_version": FEATURES_VERSION,
        "categories": list(CATEGORIES),
        "intercepts": list(intercepts),
        "thresholds": {c: {"alone": 0.9, "with_rules": 0.6, "rules_lean": 0.35} for c in CATEGORIES},
        "may_undo": may_undo,
    }
    lines = [json.dumps(header)] + [f"{name}\t{a}\t{b}" for name, (a, b) in weights.items()]
    return LearnedModel.from_text("\n".join(lines) + "\n")


def _repost(text: str, urls: tuple[str, ...] = (), **author: object) -> Repost:
    return Repost(
        account_id="1",
        post_id="2",
        kind="retweet",
        by_account=True,
        source_post_id="3",
        text=text,
        urls=urls,
        source_author=Author(id="9", handle="someone", **author),  # type: ignore[arg-type]
    )


ENGINE = SignatureEngine.load_default()
STREAMY = {"w:kickoff": (40.0, 0.0)}  # one feature that alone drives the stream probability to ~1


def test_a_background_model_explains_but_never_undoes() -> None:
    judge = Judge(ENGINE, _artifact(STREAMY, may_undo=False))
    verdict = judge.classify(_repost("kickoff", ("https://unknown-site.example/x",)))
    assert not verdict.is_bad
    model = next(c for c in verdict.contributions if c.rule == "model")
    assert model.weight > 0.99 and "never undoes" in model.evidence
    assert verdict.versions == {
        "rules": ENGINE.version,
        "model": judge.model.version,
        "features": FEATURES_VERSION,
        "page_rules": PAGE_RULES_VERSION,
    }


def test_a_gated_model_undoes_alone_above_its_strict_threshold_only() -> None:
    judge = Judge(ENGINE, _artifact(STREAMY, may_undo=True))
    bad = judge.classify(_repost("kickoff", ("https://unknown-site.example/x",)))
    assert bad.category == "illegal_stream" and bad.held_back_by is None
    assert {c.rule for c in bad.contributions} >= {"model", "model:text"}
    calm = Judge(ENGINE, _artifact({"w:kickoff": (5.0, 0.0)}, may_undo=True))  # p = sigmoid(2) < 0.9
    assert not calm.classify(_repost("kickoff", ("https://unknown-site.example/x",))).is_bad


def test_a_clean_verdict_lists_the_models_features_only_when_asked() -> None:
    calm = Judge(ENGINE, _artifact({"w:kickoff": (5.0, 0.0)}, may_undo=True))
    post = _repost("kickoff", ("https://unknown-site.example/x",))
    explained, brief = calm.classify(post), calm.classify(post, explain=False)
    assert not explained.is_bad and not brief.is_bad
    assert {c.rule for c in explained.contributions} >= {"model", "model:text"}
    assert {c.rule for c in brief.contributions} == {"model"}  # the probability, with what it would take
    assert brief.score == explained.score and brief.versions == explained.versions
    bad = Judge(ENGINE, _artifact(STREAMY, may_undo=True)).classify(post, explain=False)
    assert bad.is_bad and "model:text" in {c.rule for c in bad.contributions}  # what undoes is always explained
    held = Judge(ENGINE, _artifact(STREAMY, may_undo=True)).classify(
        _repost("Police warning: kickoff scams", ("https://unknown-site.example/x",)), explain=False
    )
    assert held.held_back_by == "safety_context" and "model:text" in {c.rule for c in held.contributions}


@pytest.mark.parametrize(
    ("repost", "safeguard"),
    [
        (_repost("Police warning: kickoff scams", ("https://unknown-site.example/x",)), "safety_context"),
        (_repost("kickoff", ("https://www.sussex.police.uk/news",)), "trusted_links"),
    ],
)
def test_safeguards_hold_back_what_only_the_model_would_undo(repost: Repost, safeguard: str) -> None:
    verdict = Judge(ENGINE, _artifact(STREAMY, may_undo=True)).classify(repost)
    assert not verdict.is_bad and verdict.held_back_by == safeguard
    assert verdict.contributions[-1].kind == "safeguard"


def test_an_established_author_holds_back_the_model() -> None:
    repost = _repost("kickoff", verified=True, followers=2_000_000, created_at=datetime(2010, 1, 1, tzinfo=UTC))
    repost = repost.model_copy(update={"posted_at": datetime(2026, 11, 1, tzinfo=UTC)})
    verdict = Judge(ENGINE, _artifact(STREAMY, may_undo=True)).classify(repost)
    assert verdict.held_back_by == "established_author"


def test_an_own_channel_holds_back_the_model_only_for_an_author_with_an_audience_and_a_history() -> None:
    judge = Judge(ENGINE, _artifact(STREAMY, may_undo=True))
    posted = datetime(2026, 11, 1, tzinfo=UTC)

    def on_own_channel(followers: int, age: timedelta, url: str = "https://www.twitch.tv/someone_live") -> Repost:
        repost = _repost("kickoff", (url,), followers=followers, created_at=posted - age)
        return repost.model_copy(update={"posted_at": posted})

    assert judge.classify(on_own_channel(4_000, timedelta(days=900))).held_back_by == "own_channel"
    assert judge.classify(on_own_channel(4_000, timedelta(days=30))).is_bad  # a new account's channel
    assert judge.classify(on_own_channel(40, timedelta(days=900))).is_bad  # nobody follows it
    assert judge.classify(on_own_channel(4_000, timedelta(days=900), "https://kick.com/freefights")).is_bad


def test_an_own_channel_is_known_by_the_display_name_too() -> None:
    judge = Judge(ENGINE, _artifact(STREAMY, may_undo=True))
    posted = datetime(2026, 11, 1, tzinfo=UTC)
    church = _repost(
        "kickoff",
        ("https://www.youtube.com/@firstbaptistgreenville/live",),
        followers=3_000,
        created_at=posted - timedelta(days=2_000),
    ).model_copy(update={"posted_at": posted})
    named = church.model_copy(
        update={"source_author": church.source_author.model_copy(update={"name": "First Baptist Greenville ⛪"})}
    )  # type: ignore[union-attr]
    assert judge.classify(church).is_bad  # @someone's link to a channel of another name
    assert judge.classify(named).held_back_by == "own_channel"
    shortened = named.model_copy(update={"urls": ("https://bit.ly/firstbaptistgreenville",)})
    assert judge.classify(shortened).is_bad  # a shortener hides whose channel it leads to


def test_an_own_page_is_no_safeguard_when_it_is_the_offer() -> None:
    posted = datetime(2026, 11, 1, tzinfo=UTC)
    settled = {"followers": 9_000, "created_at": posted - timedelta(days=1_500)}
    adulty = Judge(ENGINE, _artifact({"w:set": (0.0, 40.0)}, may_undo=True))
    creator = _repost("new set, nsfw", ("https://someone.club",), bio="cakes to order", **settled)
    creator = creator.model_copy(update={"posted_at": posted})
    assert ENGINE.rule_scores(ENGINE.signals(creator))["adult"][0] < BAD_SCORE  # the model's to carry
    assert adulty.classify(creator).category == "adult"
    baker = _repost("new set", ("https://someone.club",), bio="cakes to order", **settled)
    assert adulty.classify(baker.model_copy(update={"posted_at": posted})).held_back_by == "own_channel"
    shop = _repost("kickoff iptv subscription 12 months", ("https://someone-tv.shop",), **settled)
    assert (
        Judge(ENGINE, _artifact(STREAMY, may_undo=True)).classify(shop.model_copy(update={"posted_at": posted})).is_bad
    )


def test_a_trusted_author_is_never_bad() -> None:
    judge = Judge(ENGINE, _artifact(STREAMY, may_undo=True))
    verdict = judge.classify(_repost("kickoff"), TrustList(trusted_author_handles=frozenset({"@someone"})))
    assert not verdict.is_bad and verdict.held_back_by is None
    assert verdict.contributions[0].rule == "trusted_author"


def test_the_shipped_artifact_loads_and_its_version_is_its_content_hash() -> None:
    model = LearnedModel.load(ARTIFACT)
    assert model.version == hashlib.sha256(ARTIFACT.read_bytes()).hexdigest()[:12]
    assert model.header["trained_on"]["corpus_sha256"] == corpus_hash(load_corpus(ROOT / "corpus" / "train"))


def test_an_artifact_of_other_features_or_format_is_refused() -> None:
    text = ARTIFACT.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    for change in ({"features_version": "f0"}, {"format": 99}, {"categories": ["adult"]}):
        with pytest.raises(ModelArtifactError):
            LearnedModel.from_text(json.dumps(json.loads(header) | change) + "\n" + rest)
    with pytest.raises(ModelArtifactError, match="line 2"):
        LearnedModel.from_text(header + "\nw:x\t1.0\n")


def test_features_read_links_authors_and_raw_formats_not_just_words() -> None:
    posted = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    repost = _repost(
        "backup acestream://4c2ab0a6 🔞", ("http://185.10.20.30:8080/live/index.m3u8", "https://t.me/somewhere"),
        bio="18+ only", followers=3, default_profile=True, created_at=posted - timedelta(days=2),
    ).model_copy(update={"posted_at": posted})  # fmt: skip
    found = post_features(repost, ENGINE.signals(repost), ENGINE.trusted_domains).groups
    assert {"raw:acestream", "raw:playlist", "raw:ip_port", "u:ip", "u:port", "p:m3u8"} <= set(found["link"])
    assert "au:18plus" in found["author"]
    assert found["profile"] == {"pf:new_account", "pf:default_picture"}
    assert "s:18plus" in found["signal"] and "e:🔞" in found["text"]


def test_a_platforms_own_domain_says_which_platform_not_which_suffix() -> None:
    repost = _repost("live now", ("https://fb.watch/abc123", "https://www.twitch.tv/somebody", "https://fight.watch/x"))
    found = post_features(repost, ENGINE.signals(repost), ENGINE.trusted_domains, ENGINE.platform_domains).groups
    assert {"u:site:fb.watch", "u:site:twitch.tv", "u:tld:watch", "u:site:fight.watch"} <= set(found["link"])
    assert "u:tld:tv" not in found["link"] and not any(name.startswith("h:_fb") for name in found["link"])


@pytest.mark.parametrize(
    ("text", "formats"),
    [
        ("Acestream IDs: Nova 1: 3b9e0f71c2a84d55e6b1907fa3c2d8e14f0a6b29", {"acestream"}),
        ("free account 🎁 email: someone@example.com pass: Hunter2", {"login"}),
        ("سرور 103.48.112.9 پورٹ 8080", {"ip_port"}),
        ("we passed the test: great", set()),
        ("Passport: renew it online", set()),
        ("commit 3b9e0f71c2a84d55e6b1907fa3c2d8e14f0a6b29 fixed it", set()),  # no ace anywhere
        ("version 1.2.3 is out", set()),
    ],
)
def test_raw_stream_formats_in_the_words(text: str, formats: set[str]) -> None:
    assert raw_stream_formats(_repost(text)) == formats


def test_follower_counts_and_older_ages_are_not_model_features() -> None:
    posted = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    repost = _repost("what a match", followers=2400, verified=True, created_at=posted - timedelta(days=900))
    found = post_features(repost.model_copy(update={"posted_at": posted}), ENGINE.signals(repost), frozenset()).groups
    assert found["profile"] == frozenset()


def test_the_way_off_is_paired_with_what_is_offered_there() -> None:
    def signal_group(text: str, url: str) -> frozenset[str]:
        repost = _repost(text, (url,))
        return post_features(repost, ENGINE.signals(repost), frozenset(), ENGINE.platform_domains).groups["signal"]

    restream = signal_group("Joshua v Takam PPV live here", "https://www.twitch.tv/someone")
    assert {"x:live_platform+event", "x:live_platform+paid"} <= restream
    gamer = signal_group("ranked grind, come hang", "https://www.twitch.tv/someone")
    assert "x:live_platform+noevent" in gamer and not any(name.endswith(("+event", "+paid")) for name in gamer)


def test_a_link_to_the_authors_own_channel_is_read_as_such() -> None:
    repost = _repost("live now", ("https://www.twitch.tv/chess_club_leeds",)).model_copy(
        update={"source_author": Author(id="9", handle="Chess_Club_Leeds")}
    )
    assert "u:own" in post_features(repost, ENGINE.signals(repost), frozenset()).groups["link"]
    stranger = _repost("live now", ("https://www.twitch.tv/chess_club_leeds",))
    assert "u:own" not in post_features(stranger, ENGINE.signals(stranger), frozenset()).groups["link"]


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("match tonight kanqiu88[.]xyz", "kanqiu88.xyz"),
        ("b o l a 2 4 j a m 【.】 c o m", "bola24jam.com"),
        ("ｑｉｕｘｉａｎｇ ． ｃｃ", "qiuxiang.cc"),
        ("безкоштовно: upl-live (крапка) xyz", "upl-live.xyz"),
        ("сайт: gorіасhе-ua (точка) сom", "goriache-ua.com"),  # look-alike letters read as the Latin they show
        ("matildas-live [dot] site", "matildas-live.site"),
        ("voetbalkijken ⸱ cfd", "voetbalkijken.cfd"),
        ("网址: ｗｗｗ．ｚｕｑｉｕ８８．ｃｃ (复制到浏览器打开)", "www.zuqiu88.cc"),
        ("k a b a d d i l i v e . i n . n e t", "kabaddilive.in.net"),
        ("m u a y t h a i - s o t (จุด) n e t", "muaythai-sot.net"),
        ("b p l l i v e (ডট) x y z", "bpllive.xyz"),
        ("ｓｏｌｔｖ１２ 닷 컴", "soltv12.com"),
        ("h00pz-hd . c0m", "h00pz-hd.com"),
        ("f o c i e l o [pont] s t r e a m", "focielo.stream"),
        ("kr1ket-regstr33ks dot c0 dot za", "kr1ket-regstr33ks.c0.za"),
        ("jsk-mca ٠ live ٠ online", "jsk-mca.live.online"),
        ("الرابط: kora-live4 (دوت) com", "kora-live4.com"),
        ("👉 paok-live ⋅ xyz", "paok-live.xyz"),
        ("wm-replay‧lol/n2", "wm-replay.lol"),
        ("r0jadirecta . m e (sin espacios)", "r0jadirecta.me"),
        ("shqip-live (pikë) online", "shqip-live.online"),
        ("LIVE 👉 ʜᴀʀᴀᴍʙᴇᴇ-ʟɪᴠᴇ . ᴄꜰᴅ", "harambee-live.cfd"),  # small capitals
        ("➜ basket-hd ⟮.⟯ lol", "basket-hd.lol"),
        ("psl-mahhala ⟨dot⟩ c o . z a", "psl-mahhala.co.za"),
        ("英超直播 ｈｏｔｘ８８ 。ｖｉｐ", "hotx88.vip"),
        ("w n b a l i v e ◦ p r o", "wnbalive.pro"),
        ("kbo중계 kang19ㆍlive", "kang19.live"),
        ("jogos-gratis ︎•︎ pt-tv ︎•︎ icu", "jogos-gratis.pt-tv.icu"),  # variation selectors around the dot
        ("join: t . me / iplroom2025", "t.me"),
        # beyond ASCII, read only where a dot may be: these are the cases the first look must not miss
        ("➡️ الرابط t🔥. me / maqate3vip", "t.me"),  # an emoji, which folding makes a space, before the dot
        ("直播 hotx88。 vip", "hotx88.vip"),
        ("канал: t. me/futbol_ua", "t.me"),
        ("直播 kanqiu88ꞏxyz", "kanqiu88.xyz"),  # decancer reads the sinological dot as a dot
    ],
)
def test_a_domain_spelled_out_in_the_words_is_found(text: str, domain: str) -> None:
    assert spelled_domains(text) == (domain,)


@pytest.mark.parametrize(
    "text",
    [
        *("e.g. this one", "Mr.Smith", "version 2.0 out", "U.S. open", "it was great. so we went", "I love it.It is"),
        *("3 점 차로 이겼다", "see you at 5 p.m. tomorrow", "version 3.2.1", "Call 0800 123 456", "The U.K. is great"),
        *("the U. S. team", "weet je dat het werkt", "Real ⋅ Barça tonight", "plan A. b c"),
        *("国足加油。live on CCTV", "ドラゴン・ボール", "col·lecció nova", "try it. me / you"),
    ],
)
def test_ordinary_punctuation_is_not_a_spelled_domain(text: str) -> None:
    assert spelled_domains(text) == ()


@pytest.mark.parametrize("text", ["ﾌﾟﾛﾌのﾘﾝｸから飛んでね", "텔방 검색 ㄱㄱ", "賴群搜尋 每天開台"])
def test_a_call_to_action_in_an_unspaced_script_is_read_in_any_width(text: str) -> None:
    assert calls_to_action_unspaced(text)


def test_the_model_alone_never_undoes_a_post_that_carries_nothing_off() -> None:
    judge = Judge(ENGINE, _artifact({"w:fight": (40.0, 0.0)}, may_undo=True))
    verdict = judge.classify(_repost("Fight night in town: extra patrols in the city centre tonight"))
    assert not verdict.is_bad and verdict.held_back_by == "nothing_to_follow"
    for carried in (
        _repost("fight tonight", ("https://unknown-site.example/x",)),
        _repost("fight tonight, link in bio"),
        _repost("fight tonight fightzone[.]live"),
        _repost("今晚 fight 直播 私信我"),
    ):
        assert judge.classify(carried).is_bad, carried.text


def test_training_is_reproducible(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl"
    lines = (ROOT / "corpus" / "train" / "uk_01.jsonl").read_text(encoding="utf-8").splitlines()
    sample.write_text("\n".join(lines[:80]) + "\n", encoding="utf-8")
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    train(sample, first)
    train(sample, second)
    assert first.read_bytes() == second.read_bytes()
    assert LearnedModel.load(first).may_undo
    train(sample, second, may_undo=False)
    assert not LearnedModel.load(second).may_undo


def test_of_thresholds_that_catch_as_much_the_strictest_is_chosen() -> None:
    labels = np.array(["illegal_stream"] * 100 + ["benign"] * 2500)  # one false undo allowed
    rules = np.array([0.4] * 100 + [0.0] * 2500)
    oof = np.array([0.95] * 100 + [0.1] * 2500)
    thresholds, report = _choose_thresholds(oof, rules, labels, "illegal_stream", held=[False] * 2600)
    # the rules lean on every stream, so the model at 0.95 with them catches all 100: nothing lower
    assert thresholds == {"alone": 0.999, "with_rules": 0.95, "rules_lean": 0.35}
    assert report["caught"] == 100 and report["benign_undone_by_model"] == 0
    rules[:100] = 0.0  # now only the model alone: every threshold up to 0.95 catches all 100 ...
    oof[100] = 0.92  # ... and up to 0.92 also the one benign post allowed: fewer false undos, then stricter
    thresholds, report = _choose_thresholds(oof, rules, labels, "illegal_stream", held=[False] * 2600)
    assert thresholds["alone"] == 0.95
    assert report["caught"] == 100 and report["benign_undone_by_model"] == 0


def test_out_of_fold_splits_never_share_a_writer() -> None:
    labels = np.array(["benign", "adult", "illegal_stream"] * 20)
    writers = np.array([f"w{i % 7}" for i in range(60)])
    split, folds = out_of_fold_splits(labels, writers, seed=1)
    assert split == "by_writer" and len(folds) == 5
    for train_rows, test_rows in folds:
        assert set(writers[train_rows]).isdisjoint(writers[test_rows])
    assert out_of_fold_splits(labels, np.array(["one"] * 60), seed=1)[0] == "stratified"


def test_training_and_evaluation_corpora_are_apart() -> None:
    training = load_corpus(ROOT / "corpus" / "train")
    evaluation = load_corpus(ROOT / "corpus" / "eval")
    assert {p.id for p in training}.isdisjoint(p.id for p in evaluation)
    assert {p.text.strip().lower() for p in training}.isdisjoint(p.text.strip().lower() for p in evaluation)
    assert {p.source for p in training}.isdisjoint(p.source for p in evaluation)


def test_a_bad_corpus_line_names_its_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x-1", "label": "benign", "lang": "en", "text": "ok"}\n{"id": "x-2", "label": "spam"}\n')
    with pytest.raises(CorpusError, match=r"broken.jsonl:2: label"):
        load_corpus(broken)


def test_the_gate_fails_on_a_false_undo_or_low_recall() -> None:
    benign = CorpusPost(id="b", label="benign", lang="en", text="council meeting live tonight")
    bad = CorpusPost(id="s", label="illegal_stream", lang="en", text="free ppv stream")
    report = Report()
    report.add(benign, "illegal_stream", "model")
    report.add(bad, "illegal_stream", "model")
    assert gate(report, 0.95) == ["1 false undo(s)"]
    missed = Report()
    missed.add(bad, None, "")
    assert gate(missed, 0.95) == ["recall 0.000 < 0.95"]


def test_obfuscation_changes_the_text_but_not_the_links() -> None:
    rng = random.Random(3)
    text = "Free live stream of the big fight tonight https://example.net/watch"
    changed = {obfuscate(text, rng) for _ in range(20)}
    assert len(changed) > 10 and all("https://example.net/watch" in variant for variant in changed)
    assert set(TRICKS) >= {"lookalike", "styled", "zero_width", "spaced", "leet", "emoji_glue", "small_caps"}


QUIET = _artifact({}, may_undo=False)  # a model that says nothing: the rules and pages alone decide


def _page(url: str, final: str, **evidence: object) -> LandingPage:
    host = final.split("/")[2]
    return LandingPage(url=url, chain=(url, final), outcome="page", final_host=host, **evidence)  # type: ignore[arg-type]


def test_a_shortener_is_judged_by_where_it_leads() -> None:
    repost = _repost("tonight", ("https://bit.ly/abc",))
    judge = Judge(ENGINE, QUIET)
    assert not judge.classify(repost).is_bad
    verdict = judge.classify(repost, pages=[_page("https://bit.ly/abc", "https://crackstreams.biz/boxing")])
    assert verdict.category == "illegal_stream"
    assert any("crackstreams.biz" in c.evidence for c in verdict.contributions if c.kind == "rule")


def test_a_page_with_the_rta_label_is_adult_and_says_so() -> None:
    page = _page("https://bit.ly/x", "https://unknown-site.example/v/1", rta_label=True, title="Welcome")
    verdict = Judge(ENGINE, QUIET).classify(_repost("new vid 😈", ("https://bit.ly/x",)), pages=[page])
    assert verdict.category == "adult"
    rta = next(c for c in verdict.contributions if c.rule == "page.rta_label")
    assert rta.version == PAGE_RULES_VERSION and "unknown-site.example" in rta.evidence


def test_a_feed_hit_alone_is_not_a_verdict_and_an_unread_page_is_no_evidence() -> None:
    hit = FeedHit(host="unknown-site.example", source="piracy-list", first_seen="2026-11-30")
    listed = _page("https://unknown-site.example/a", "https://unknown-site.example/a", feed_hits=(hit,))
    judge = Judge(ENGINE, QUIET)
    assert not judge.classify(_repost("hello", ("https://unknown-site.example/a",)), pages=[listed]).is_bad
    timed_out = LandingPage(url="https://bit.ly/abc", chain=("https://bit.ly/abc",), outcome="timeout", rta_label=True)
    assert not judge.classify(_repost("tonight", ("https://bit.ly/abc",)), pages=[timed_out]).is_bad


def test_a_council_page_read_by_the_resolver_keeps_its_safeguards() -> None:
    page = _page("https://bit.ly/c", "https://www.example-council.gov.uk/live", title="Council meeting live")
    verdict = Judge(ENGINE, _artifact(STREAMY, may_undo=True)).classify(
        _repost("kickoff", ("https://bit.ly/c",)), pages=[page]
    )
    assert not verdict.is_bad


def test_the_obfuscation_gate_compares_with_the_posts_as_written() -> None:
    bad = [CorpusPost(id=f"s{n}", label="illegal_stream", lang="en", text="free ppv stream") for n in range(20)]
    benign = CorpusPost(id="b", label="benign", lang="en", text="council meeting")
    plain, tricked = Report(), Report()
    for post in bad:
        plain.add(post, "illegal_stream", "rule")
        tricked.add(post.model_copy(update={"id": post.id + "~"}), "illegal_stream" if post.id != "s0" else None, "")
    plain.add(benign, None, "")
    tricked.add(benign.model_copy(update={"id": "b~"}), None, "")
    assert obfuscation_gate(plain, tricked, 0.95) == []  # 19 of 20 still caught
    tricked.add(benign.model_copy(update={"id": "b~"}), "adult", "model")
    assert obfuscation_gate(plain, tricked, 0.95) == ["1 new false undo(s): b~"]
    assert obfuscation_gate(plain, tricked, 0.99)[0].startswith("0.950 of the caught")


def test_a_brand_inside_a_new_site_name_is_a_model_feature_not_a_rule() -> None:
    for url, rule in (
        ("https://brazzers4free.site/", "adult.site.name"),
        ("https://xvideos-jp7.click/", "adult.site.name"),
    ):
        repost = _repost("new link", (url,))
        signals = ENGINE.signals(repost)
        assert rule not in signals.evidence  # the exact-name rule does not fire on a variant
        assert f"bv:{rule}" in post_features(repost, signals, frozenset()).groups["signal"]
    plain = _repost("our new site", ("https://deeper-learning-lab.org/",))
    assert not [
        name for name in post_features(plain, ENGINE.signals(plain), frozenset()).groups["signal"] if "bv:" in name
    ]


def test_the_obfuscated_copy_counts_what_was_caught_as_written_and_still_is() -> None:
    plain, tricked = Report(caught={"a", "b", "c", "d"}), Report(caught={"a~", "b~", "c~", "x~"})
    assert still_caught(plain, tricked) == 3
    assert obfuscation_gate(plain, tricked, 0.95) == ["0.750 of the caught still caught < 0.95"]
    assert obfuscation_gate(plain, tricked, 0.75) == []


def test_crossval_scores_each_writer_with_a_model_that_never_read_it(tmp_path: Path) -> None:
    for writer in ("uk", "eu", "night"):
        lines = (ROOT / "corpus" / "train" / f"{writer}_01.jsonl").read_text(encoding="utf-8").splitlines()
        (tmp_path / f"{writer}_01.jsonl").write_text("\n".join(lines[:60]) + "\n", encoding="utf-8")
    held = held_out_by_writer(tmp_path, seed=1, strength={"illegal_stream": 16.0, "adult": 16.0})
    assert sorted(set(held.sources)) == ["eu", "night", "uk"]
    assert all(0.0 <= p <= 1.0 for probabilities in held.probabilities.values() for p in probabilities)
    out = io.StringIO()
    print_held_out(held, out)
    report = out.getvalue()
    assert "held out one writer at a time: 180 posts, 3 writers" in report
    assert all(f"\n{writer}" in report for writer in ("uk", "eu", "night"))
