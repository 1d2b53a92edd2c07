"""Packaging: what `make build` produces (sam build, then bytecode) imports and runs on its own, with each
function's events/ file."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from takedown.policy import AccountPolicy, PolicyStore
from takedown_local import TEMPLATE
from takedown_local.sample_events import SAMPLE_CONSUMER_SECRET, expected_crc_response
from takedown_local.standins import XStandIn
from takedown_local.template import create_evidence_bucket, create_tables, template_resources
from takedown_local.traffic import timeline_retweet
from tests.conftest import EVENTS, ROOT
from tests.packaging.conftest import invoke_built

pytestmark = [pytest.mark.packaging, pytest.mark.xdist_group("sam")]


def _template_functions() -> set[str]:
    resources = template_resources(ROOT / "template.yaml")
    return {name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


def test_every_function_and_the_layer_are_built(sam_build: Path) -> None:
    for function in _template_functions():
        assert (sam_build / function / "app.py").is_file(), function
    layer = sam_build / "TakedownLayer" / "python"
    assert (layer / "takedown" / "webhook" / "intake.py").is_file()
    assert (layer / "aws_lambda_powertools").is_dir()
    assert not (layer / "takedown_cli").exists(), "the CLI and stand-ins stay out of the Lambda layer"


@pytest.mark.parametrize("function", sorted(_template_functions()))
def test_every_built_handler_imports_with_only_its_layer(sam_build: Path, function: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import sys; sys.path[:0] = sys.argv[1:3]; import app",
         str(sam_build / function), str(sam_build / "TakedownLayer" / "python")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]


# Imports a built handler in a fresh interpreter and lists the built modules Python had to compile.
COMPILED = """
import importlib._bootstrap_external as external, json, sys
function_dir, layer_dir = sys.argv[1:3]
compiled, source_to_code = [], external.SourceLoader.source_to_code
def counting(loader, data, path, *args, **kwargs):
    compiled.append(path)
    return source_to_code(loader, data, path, *args, **kwargs)
external.SourceLoader.source_to_code = counting
sys.path[:0] = [function_dir, layer_dir]
import app
print(json.dumps([path for path in compiled if path.startswith((function_dir, layer_dir))]))
"""


def test_every_built_module_carries_bytecode_used_without_its_source(sam_build: Path) -> None:
    """Lambda's code is read-only and dated 1980 once packaged: only hash-based bytecode that is not
    checked against the source spares a cold start the compiling (PEP 552: flags 0b01)."""
    sources = [path for path in sam_build.rglob("*.py") if "__pycache__" not in path.parts]
    assert len(sources) > 1000  # the functions, the library and its dependencies
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.is_file(), source
        header = cached.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(header[4:8], "little") == 0b01, source


@pytest.mark.parametrize("function", ["InspectFunction", "WebhookFunction"])
def test_a_built_handler_imports_without_compiling_a_module(sam_build: Path, function: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", COMPILED,
         str(sam_build / function), str(sam_build / "TakedownLayer" / "python")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == []


@pytest.fixture(scope="module")
def webhook_env(moto_endpoint: str) -> dict[str, str]:
    aws = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
    secrets = session.client("secretsmanager", endpoint_url=moto_endpoint)
    name = "packaging/x-consumer"
    secrets.create_secret(Name=name, SecretString=json.dumps({"consumer_secret": SAMPLE_CONSUMER_SECRET}))
    sqs = session.client("sqs", endpoint_url=moto_endpoint)
    queue_url = sqs.create_queue(QueueName="packaging-inspect.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    bucket = create_evidence_bucket(session.client("s3", endpoint_url=moto_endpoint), TEMPLATE, "packaging-evidence")
    key_arn = session.client("kms", endpoint_url=moto_endpoint).create_key()["KeyMetadata"]["Arn"]
    return {
        **aws,
        "X_CONSUMER_SECRET_ID": name,
        "INSPECT_QUEUE_URL": queue_url,
        "EVIDENCE_BUCKET": bucket,
        "EVIDENCE_KMS_KEY_ID": key_arn,
        "EVIDENCE_RETENTION_DAYS": "365",
        "POWERTOOLS_SERVICE_NAME": "takedown",
        "POWERTOOLS_METRICS_NAMESPACE": "Takedown",
    }


@pytest.mark.parametrize(
    ("event_file", "status", "body"),
    [
        ("webhook_crc.json", 200, expected_crc_response()),
        ("webhook_aaa_retweet_illegal_stream.json", 200, {"enqueued": 1}),
        ("webhook_aaa_quote_adult.json", 200, {"enqueued": 1}),
        ("webhook_xaa_post_create_repost.json", 200, {"enqueued": 1}),
        ("webhook_aaa_retweet_by_someone_else.json", 200, {"enqueued": 0}),
        ("webhook_forged_signature.json", 401, {"error": "bad_signature"}),
    ],
)
def test_built_webhook_handler_answers_its_events(
    sam_build: Path, webhook_env: dict[str, str], event_file: str, status: int, body: dict
) -> None:
    result = invoke_built(sam_build, "WebhookFunction", EVENTS / event_file, webhook_env)
    assert (result["statusCode"], json.loads(result["body"])) == (status, body)


def test_built_reconcile_handler_sweeps_on_its_scheduled_event(sam_build: Path, moto_endpoint: str) -> None:
    """`sam local invoke ReconcileFunction -e events/reconcile_scheduled.json`, without Docker: the
    built sweep reads the account's posts on the X stand-in and sends its lost retweet on."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
    account, token = "1000000000000000001", "1000000000000000001-packagingtoken"
    dynamodb = session.client("dynamodb", endpoint_url=moto_endpoint)
    tables = create_tables(dynamodb, TEMPLATE, prefix="packaging-")
    PolicyStore(dynamodb, tables["AccountsTable"]).put_policy(AccountPolicy(account_id=account, mode="enforce"))
    secrets = session.client("secretsmanager", endpoint_url=moto_endpoint)
    consumer = {"consumer_key": "packagingconsumerkey", "consumer_secret": SAMPLE_CONSUMER_SECRET}
    secrets.create_secret(Name="packaging/reconcile-consumer", SecretString=json.dumps(consumer))
    secrets.create_secret(
        Name=f"packaging/x-account/{account}",
        SecretString=json.dumps({"access_token": token, "access_token_secret": "packaging-token-secret"}),
    )
    sqs = session.client("sqs", endpoint_url=moto_endpoint)
    queue = sqs.create_queue(QueueName="packaging-sweep.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    s3 = session.client("s3", endpoint_url=moto_endpoint)
    bucket = create_evidence_bucket(s3, TEMPLATE, "packaging-sweep-evidence")
    key = session.client("kms", endpoint_url=moto_endpoint).create_key()["KeyMetadata"]["Arn"]
    with XStandIn(consumer["consumer_key"], SAMPLE_CONSUMER_SECRET, {token: "packaging-token-secret"}) as x:
        made = datetime.now(UTC) - timedelta(minutes=5)
        x.publish(*timeline_retweet(account, 2090000000000000601, 2080000000000000601, made))
        env = {
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "POWERTOOLS_SERVICE_NAME": "takedown",
            "POWERTOOLS_METRICS_NAMESPACE": "Takedown",
            "ACCOUNTS_TABLE": tables["AccountsTable"],
            "CONTROL_TABLE": tables["ControlTable"],
            "INSPECTION_LEDGER_TABLE": tables["InspectionLedgerTable"],
            "INSPECT_QUEUE_URL": queue,
            "X_API_BASE_URL": x.url,
            "X_CONSUMER_SECRET_ID": "packaging/reconcile-consumer",
            "X_ACCOUNT_SECRET_PREFIX": "packaging/x-account/",
            "EVIDENCE_BUCKET": bucket,
            "EVIDENCE_KMS_KEY_ID": key,
            "EVIDENCE_RETENTION_DAYS": "365",
        }
        result = invoke_built(sam_build, "ReconcileFunction", EVENTS / "reconcile_scheduled.json", env)
    assert result == {"accounts": 1, "failed": [], "enqueued": 1}
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(message["Body"])["post_id"] == "2090000000000000601"
