"""Python values to DynamoDB attribute values and back: the one codec every table here goes through.

Datetimes are stored as fixed-width ISO-8601 UTC strings (so they sort as strings, which the
incidents table's indexes rely on), floats as Decimal (DynamoDB refuses floats), enums as their
values; None is left out, at any depth. Numbers read back are int when whole, else float.

    item = to_item(incident.model_dump(exclude_none=True))
    incident = Incident.model_validate(from_item(item))
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

if TYPE_CHECKING:
    from types_boto3_dynamodb.type_defs import AttributeValueTypeDef

_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def timestamp(at: datetime) -> str:
    """ISO-8601 UTC with microseconds: one fixed width, so that stored times sort as strings."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def to_attribute(value: Any) -> AttributeValueTypeDef:
    """One value as a DynamoDB attribute value (for an item, a key or an expression value)."""
    return _serializer.serialize(_storable(value))


def to_item(values: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    """A DynamoDB item from named values; a None value is not stored."""
    return {name: to_attribute(value) for name, value in values.items() if value is not None}


def from_item(item: Mapping[str, AttributeValueTypeDef]) -> dict[str, Any]:
    """Named plain values from a DynamoDB item, ready for a pydantic model."""
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _storable(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _storable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
