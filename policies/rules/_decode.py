"""Decode a request's ``Struct`` into what rules read, as they read it.

pulumi-policy turns a resource's properties into rule input in three passes
over everything: ``json_format.MessageToDict`` (protobuf to plain values),
``deserialize_properties`` (secrets unwrapped, assets and archives rebuilt) and
``unknown_checking_proxy`` (every dict and list wrapped so that reading an
unknown value raises ``UnknownValueError`` with its path). Rules read a few
properties of each resource, and stack rules a few of most resources, so most
of that work is thrown away.

:func:`decode` does the three passes in one, and lazily: an object becomes a
:class:`LazyDict`, an SDK ``_DictProxy`` that decodes an entry the first time
it is read. Every read gives what the SDK's proxy gives (the same values,
``UnknownValueError`` paths, ``KeyError`` for a missing key, keys in the same
order); asking for the whole target (``proxy["__target"]``, as the SDK's own
serializer does) or writing to it decodes the rest first. The rare asset and
archive values are handed to the SDK's own deserializer.
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
from pulumi_policy.proxy import _DictProxy, _ListProxy, _proxy_helper, _raise_if_unknown


def decode(struct: Any) -> _DictProxy:
    """What ``unknown_checking_proxy(deserialize_properties(MessageToDict(struct)))`` gives, decoded on read.

    The result refers to ``struct``, which must not change while it is read.
    """
    return _struct(struct, [])


class LazyDict(_DictProxy):
    """The SDK's unknown-checking dict proxy over a protobuf ``Struct``'s fields, each decoded when first read."""

    def __init__(self, fields: Any, path: list[str]) -> None:
        super().__init__({}, path)
        self._fields: Any = fields  # None once every entry is decoded

    def _complete(self) -> dict[str, Any]:
        target = self._DictProxy__target
        fields = self._fields
        if fields is not None:
            path = self._DictProxy__props_acc
            target = {key: target[key] if key in target else _value(value, [*path, key])
                      for key, value in fields.items()}
            self._DictProxy__target = target
            self._fields = None
        return target

    def __getitem__(self, key: Any) -> Any:
        fields = self._fields
        if fields is None or key == "__target":
            return super().__getitem__(key) if fields is None else self._complete()
        target = self._DictProxy__target
        if key in target:
            value = target[key]
        elif isinstance(key, str) and key in fields:
            value = target[key] = _value(fields[key], [*self._DictProxy__props_acc, key])
        else:
            raise KeyError(key)
        return _raise_if_unknown(key, value, self._DictProxy__props_acc)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._complete()[key] = value

    def __len__(self) -> int:
        return len(self._fields) if self._fields is not None else len(self._DictProxy__target)

    def __iter__(self) -> Any:
        return iter(self._fields) if self._fields is not None else iter(self._DictProxy__target)


def _struct(struct: Any, path: list[str]) -> Any:
    fields = struct.fields
    if SPECIAL_SIG_KEY in fields:
        return _signed(struct, path)
    return LazyDict(fields, path)


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
