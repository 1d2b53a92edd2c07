"""Local resources from template.yaml's own definitions, so that local and cloud cannot drift.

Tables (keys, indexes, stream), the inspect and undo queues and their dead-letter queues (FIFO,
visibility timeout, redrive), and the notify function's stream event source (filter, retries) are all read
from the template; `!Ref` to a parameter resolves to the parameter's default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# What CreateTable takes; the rest (PITR, deletion protection, SSE, TTL, tags) is cloud-only or
# set by a separate call.
_CREATE_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "StreamSpecification")
# The queue properties that behave the same on moto; KMS and throughput settings are cloud-only.
_QUEUE_ATTRIBUTES = ("FifoQueue", "DeduplicationScope", "VisibilityTimeout", "MessageRetentionPeriod")


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML: intrinsic functions (!Ref, !Sub, !GetAtt...) become {"Fn": value}."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"!{suffix} on an unknown node", node.start_mark)
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def _template(template: Path) -> dict[str, Any]:
    return yaml.load(template.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def template_resources(template: Path) -> dict[str, dict[str, Any]]:
    return _template(template)["Resources"]


def parameter_default(template: Path, value: Any) -> Any:
    """`value`, or the default of the parameter it `!Ref`s."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return _template(template)["Parameters"][value["Ref"]]["Default"]
    return value


def table_definitions_from_template(template: Path) -> dict[str, dict[str, Any]]:
    """CreateTable arguments (without TableName) for every AWS::DynamoDB::Table, by logical id."""
    definitions = {}
    for name, resource in template_resources(template).items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        properties = resource["Properties"]
        definition = {key: properties[key] for key in _CREATE_TABLE_KEYS if key in properties}
        definition["StreamSpecification"] = (
            {"StreamEnabled": True, **properties["StreamSpecification"]}
            if "StreamSpecification" in properties
            else None
        )
        definitions[name] = {k: v for k, v in definition.items() if v is not None}
        definitions[name]["BillingMode"] = properties.get("BillingMode", "PAY_PER_REQUEST")
    return definitions


def create_tables(dynamodb: Any, template: Path, prefix: str) -> dict[str, str]:
    """Create the template's tables as `<prefix><logical id>`; return their names by logical id."""
    names = {}
    for logical_id, definition in table_definitions_from_template(template).items():
        name = f"{prefix}{logical_id}"
        dynamodb.create_table(TableName=name, **definition)
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
        names[logical_id] = name
    return names


@dataclass(frozen=True)
class LocalQueue:
    url: str
    arn: str


def queue_attributes(template: Path, logical_id: str) -> dict[str, str]:
    """CreateQueue attributes for one AWS::SQS::Queue, without its redrive policy."""
    properties = template_resources(template)[logical_id]["Properties"]
    return {
        key: str(parameter_default(template, properties[key])).lower()
        if isinstance(properties[key], bool)
        else str(parameter_default(template, properties[key]))
        for key in _QUEUE_ATTRIBUTES
        if key in properties
    }


def create_queue_with_dead_letters(
    sqs: Any, template: Path, logical_id: str, name: str
) -> tuple[LocalQueue, LocalQueue]:
    """A queue and its dead-letter queue as the template defines them: (queue, dead letters).

    `name` is the queue's local name; a FIFO queue's ends in `.fifo`, as SQS requires."""
    queue = template_resources(template)[logical_id]["Properties"]
    dead_letter_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["GetAtt"].split(".")[0]
    fifo = name.endswith(".fifo")
    dead_letter_name = f"{name.removesuffix('.fifo')}-dlq{'.fifo' if fifo else ''}"
    dead_letters = _create_queue(sqs, dead_letter_name, queue_attributes(template, dead_letter_id))
    redrive = {"deadLetterTargetArn": dead_letters.arn, "maxReceiveCount": max_receive_count(template, logical_id)}
    attributes = {**queue_attributes(template, logical_id), "RedrivePolicy": json.dumps(redrive)}
    return _create_queue(sqs, name, attributes), dead_letters


def _create_queue(sqs: Any, name: str, attributes: dict[str, str]) -> LocalQueue:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return LocalQueue(url=url, arn=arn)


def max_receive_count(template: Path, logical_id: str) -> int:
    """A queue's redrive maxReceiveCount (its parameter's default)."""
    redrive = template_resources(template)[logical_id]["Properties"]["RedrivePolicy"]
    return int(parameter_default(template, redrive["maxReceiveCount"]))


def notify_event_source(template: Path) -> dict[str, Any]:
    """The notify function's stream event source properties (filter, retries, batch size)."""
    events = template_resources(template)["NotifyFunction"]["Properties"]["Events"]
    return next(e["Properties"] for e in events.values() if e["Type"] == "DynamoDB")


def create_evidence_bucket(s3: Any, template: Path, name: str) -> str:
    """The evidence bucket as the template defines it: Object Lock with its default retention
    (governance, EvidenceRetentionDays' default), versioning (which Object Lock turns on), public
    access blocked. Encryption and the lifecycle are cloud-only (moto stores the SSE-KMS headers
    each write sends, and keeps everything)."""
    properties = template_resources(template)["EvidenceBucket"]["Properties"]
    retention = properties["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    s3.create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name},
        ObjectLockEnabledForBucket=properties["ObjectLockEnabled"],
    )
    s3.put_object_lock_configuration(
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {
                "DefaultRetention": {
                    "Mode": retention["Mode"],
                    "Days": int(parameter_default(template, retention["Days"])),
                }
            },
        },
    )
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"])
    return name
