"""Local resources from template.yaml's own definitions, so that local and cloud cannot drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# What CreateTable takes; the rest (PITR, deletion protection, SSE, TTL, tags) is cloud-only or
# set by a separate call.
_CREATE_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "StreamSpecification")


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML: intrinsic functions (!Ref, !Sub, !GetAtt...) become {"Fn": value}."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def template_resources(template: Path) -> dict[str, dict[str, Any]]:
    return yaml.load(template.read_text(), Loader=_CfnLoader)["Resources"]  # noqa: S506 - SafeLoader subclass


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


def inspect_redrive_max_receive_count(template: Path) -> int:
    return int(template_resources(template)["InspectQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"])


def notify_event_source(template: Path) -> dict[str, Any]:
    """The notify function's stream event source properties (filter, retries, batch size)."""
    events = template_resources(template)["NotifyFunction"]["Properties"]["Events"]
    return next(e["Properties"] for e in events.values() if e["Type"] == "DynamoDB")
