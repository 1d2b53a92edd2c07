"""`takedown classify`: envelopes in, one JSON line per post out; bad lines reported and skipped."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from takedown_cli.main import main
from tests.conftest import FIXTURES
from tests.corpus.envelopes import envelope

STREAM = {"text": "LIVE Joshua vs Takam PPV £19.99", "urls": ["https://www.pscp.tv/w/1yoKMZkPqmWKQ"]}
APPEAL = {"text": "Sexual offences: our Sussex team is here to help. Report it.", "bio": "Sussex Police"}


def run(capsys: pytest.CaptureFixture[str], lines: list[str], tmp_path: Path) -> tuple[int, list[dict], str]:
    source = tmp_path / "deliveries.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["classify", str(source)])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_own_retweet_of_a_stream_is_undone_and_the_appeal_is_not(capsys, tmp_path) -> None:
    code, records, err = run(capsys, [envelope(STREAM, 0), envelope(APPEAL, 2)], tmp_path)
    assert (code, err) == (0, "")
    stream, appeal = records
    assert set(stream) == {"post_id", "account_id", "kind", "action", "category", "score", "contributions", "versions",
                           "held_back_by"}  # fmt: skip
    assert (stream["kind"], stream["action"], stream["category"]) == ("retweet", "undo", "illegal_stream")
    assert stream["post_id"] == "5000000000000000000" and stream["account_id"] == "1000000000000000001"
    assert stream["score"] >= 0.8
    assert {"kind", "rule", "version", "evidence", "category", "weight"} == set(stream["contributions"][0])
    assert any("pscp.tv" in match["evidence"] for match in stream["contributions"])
    assert (appeal["kind"], appeal["action"], appeal["category"]) == ("retweet", "ignore", None)
    assert set(stream["versions"]) == {"rules", "model", "features", "page_rules"}


def test_a_bad_post_someone_else_made_is_classified_but_ignored(capsys, tmp_path) -> None:
    body = json.loads(envelope(STREAM, 0))
    tweet = body["tweet_create_events"][0]
    body["for_user_id"] = "9999999999999999999"  # the account is only involved, not the retweeter
    assert tweet["user"]["id_str"] != body["for_user_id"]
    _, (record,), _ = run(capsys, [json.dumps(body)], tmp_path)
    assert (record["action"], record["category"]) == ("ignore", "illegal_stream")


def test_malformed_lines_are_reported_with_their_number_and_the_rest_still_run(capsys, tmp_path) -> None:
    lines = [envelope(STREAM, 0), "{not json", "", '{"for_user_id": "12", "tweet_create_events": [{"id_str": "1"}]}',
             envelope(APPEAL, 1)]  # fmt: skip
    code, records, err = run(capsys, lines, tmp_path)
    assert code == 1
    assert [record["action"] for record in records] == ["undo", "ignore"]
    assert err.splitlines()[0].startswith("line 2: body is not JSON")
    assert err.splitlines()[1] == "line 4: tweet_create_events[0].user is missing"


def test_reads_standard_input_and_real_payloads(capsys, monkeypatch) -> None:
    real = (FIXTURES / "CONSTRUCTED_aaa_tweet_create_events_retweet_by_subscribed_user.json").read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(json.loads(real)) + "\n"))
    assert main(["classify", "-"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (record["kind"], record["action"], record["category"]) == ("retweet", "ignore", None)


def test_events_without_posts_print_nothing(capsys, tmp_path) -> None:
    code, records, err = run(capsys, [(FIXTURES / "xaa_post_delete.json").read_text().replace("\n", "")], tmp_path)
    assert (code, records, err) == (0, [], "")


def test_a_missing_file_is_a_clear_error(capsys, tmp_path) -> None:
    assert main(["classify", str(tmp_path / "absent.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
