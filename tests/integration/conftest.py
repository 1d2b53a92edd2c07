"""DynamoDB Local (AWS's own engine), started once per test session, with fresh tables per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from takedown_local.dynamodb_local import DynamoDBLocal, local_client
from takedown_local.template import create_tables
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def dynamodb_local_url() -> Iterator[str]:
    with DynamoDBLocal() as dynamodb:
        yield dynamodb.endpoint_url


@pytest.fixture
def dynamodb(dynamodb_local_url: str) -> Any:
    return local_client("dynamodb", dynamodb_local_url)


@pytest.fixture
def tables(dynamodb: Any) -> dict[str, str]:
    """The template's tables under a unique prefix: no test sees another's records."""
    return create_tables(dynamodb, ROOT / "template.yaml", prefix=f"t{uuid.uuid4().hex[:10]}-")
