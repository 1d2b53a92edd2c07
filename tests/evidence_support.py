"""Shared by the tests that keep evidence: the template's evidence bucket and a KMS key on moto."""

from __future__ import annotations

from typing import Any

import boto3

from takedown.evidence import EvidenceLocker
from takedown_local.template import create_evidence_bucket
from tests.conftest import ROOT

RETENTION_DAYS = 365


def evidence_bucket(name: str = "takedown-test-evidence") -> dict[str, Any]:
    """Inside mock_aws: the bucket as template.yaml defines it, and a KMS key; the EVIDENCE_*
    environment a function needs (`env`), the S3 client (`s3`) and a locker on them (`locker`)."""
    s3 = boto3.client("s3")
    key_arn = boto3.client("kms").create_key(Description="evidence")["KeyMetadata"]["Arn"]
    create_evidence_bucket(s3, ROOT / "template.yaml", name)
    return {
        "s3": s3,
        "bucket": name,
        "key_arn": key_arn,
        "locker": EvidenceLocker(s3, name, key_arn, RETENTION_DAYS),
        "env": {
            "EVIDENCE_BUCKET": name,
            "EVIDENCE_KMS_KEY_ID": key_arn,
            "EVIDENCE_RETENTION_DAYS": str(RETENTION_DAYS),
        },
    }
