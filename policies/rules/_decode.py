"""Decode a request's ``Struct`` into what rules read, in one walk.

pulumi-policy turns a resource's properties into rule input in three passes:
``json_format.MessageToDict`` (protobuf to plain values),
``deserialize_properties`` (secrets unwrapped, assets and archives rebuilt) and
``unknown_checking_proxy`` (every dict and list wrapped so that reading an
unknown value raises ``UnknownValueError`` with its path). :func:`decode`
does all three in one pass over the message and builds the same objects: the
SDK's own ``_DictProxy`` and ``_ListProxy`` holding the same values and
paths. The rare asset and archive values are handed to the SDK's own
deserializer.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf import json_format
from pulumi_policy.deserialize import (
    SPECIAL_ARCHIVE_SIG,
    SPECIAL_ASSET_SIG,
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    _deserialize_property,
)
from pulumi_policy.proxy import _DictProxy, _ListProxy, _proxy_helper


def decode(struct: Any) -> _DictProxy:
    """``unknown_checking_proxy(deserialize_properties(MessageToDict(struct)))``, in one pass."""
    return _struct(struct, [])


def _struct(struct: Any, path: list[str]) -> Any:
    fields = struct.fields
    if SPECIAL_SIG_KEY in fields:
        return _signed(struct, path)
    return _DictProxy({key: _value(value, [*path, key]) for key, value in fields.items()}, path)


def _value(value: Any, path: list[str]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return _struct(value.struct_value, path)
    if kind == "list_value":
        return _ListProxy([_value(item, [*path, str(index)]) for index, item in enumerate(value.list_value.values)],
                          path)
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            json_format.MessageToDict(value)  # raises the SDK's own error for a number JSON cannot hold
        return number
    return None


def _signed(struct: Any, path: list[str]) -> Any:
    fields = struct.fields
    sig = _plain(fields[SPECIAL_SIG_KEY])
    if sig == SPECIAL_SECRET_SIG:
        if "value" not in fields:
            raise AssertionError("Invalid secret encountered when unmarshaling resource property")
        return _value(fields["value"], path)
    if sig in (SPECIAL_ASSET_SIG, SPECIAL_ARCHIVE_SIG):
        return _proxy_helper(_deserialize_property(json_format.MessageToDict(struct)), path)
    raise AssertionError(f"Unrecognized signature '{sig}' when unmarshaling resource property")


def _plain(value: Any) -> Any:
    return json_format.MessageToDict(value) if value.WhichOneof("kind") else None
