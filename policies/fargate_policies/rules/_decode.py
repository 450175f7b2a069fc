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

from fargate_policies.costing.graph import MAX_DEPTH, MAX_ITEMS, UNKNOWN_SENTINELS


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

    # The cost estimate copies whole property bags (``costing.graph.plain``). Decoding them into proxies only
    # to copy those proxies into plain values is most of its time on a large stack: while the wire fields are
    # at hand, the copy is made from them directly.
    def plain_copy(self, depth: int) -> Any:
        """``costing.graph.plain(self, depth)``, made from the wire fields (``NotImplemented`` once decoded)."""
        fields = self._fields
        if fields is None:
            return NotImplemented
        return _plain_fields(fields, depth)

    def plain_entries(self, keys: Any) -> Any:
        """What ``costing.graph`` copies of this mapping's entries at ``keys``, made from the wire fields."""
        fields = self._fields
        if fields is None:
            return NotImplemented
        out: dict[str, Any] = {}
        for key in keys:
            if isinstance(key, str) and key in fields:
                try:
                    out[key] = _plain(fields[key], 1)
                except _Malformed:
                    out[key] = None
        return out


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
    sig = _sig(fields[SPECIAL_SIG_KEY])
    if sig == SPECIAL_SECRET_SIG:
        if "value" not in fields:
            raise AssertionError("Invalid secret encountered when unmarshaling resource property")
        return _value(fields["value"], path)
    if sig in (SPECIAL_ASSET_SIG, SPECIAL_ARCHIVE_SIG):
        return _proxy_helper(_deserialize_property(json_format.MessageToDict(struct)), path)
    raise AssertionError(f"Unrecognized signature '{sig}' when unmarshaling resource property")


def _sig(value: Any) -> Any:
    return json_format.MessageToDict(value) if value.WhichOneof("kind") else None


# ---------------------------------------------------------------------------
# Plain copies straight from the wire (see LazyDict.plain_copy).
#
# costing.graph.plain copies a decoded mapping as follows: unknown values and
# anything not JSON-like (assets, archives) become None, secrets their value,
# values nested deeper than MAX_DEPTH None, lists are cut at MAX_ITEMS; and an
# entry whose decoding fails becomes None. Decoding is lazy for objects and
# eager for everything else: a list is decoded whole, with its items, when the
# object holding it is, however deep or long it is, so a malformed value
# anywhere in a list (a number JSON cannot hold, a bad signature) nulls the
# entry that holds the list. The functions below give the same copy.
# ---------------------------------------------------------------------------
class _Malformed(Exception):
    """Decoding this value fails; the object entry holding it copies as None."""


def _plain_fields(fields: Any, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            out[key] = _plain(value, depth + 1)
        except _Malformed:
            out[key] = None
    return out


def _plain(value: Any, depth: int) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return None if depth > MAX_DEPTH or text in UNKNOWN_SENTINELS else text
    if kind == "struct_value":
        struct = value.struct_value
        fields = struct.fields
        if SPECIAL_SIG_KEY in fields:
            return _plain_signed(struct, fields, depth)
        return None if depth > MAX_DEPTH else _plain_fields(fields, depth)
    if kind == "list_value":
        items = value.list_value.values
        if depth > MAX_DEPTH:
            for item in items:
                _plain(item, depth + 1)  # decoded with its holder all the same: only its failures count
            return None
        copied = [_plain(item, depth + 1) for item in items[:MAX_ITEMS]]
        for item in items[MAX_ITEMS:]:
            _plain(item, depth + 1)
        return copied
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            raise _Malformed
        return None if depth > MAX_DEPTH else number
    if kind == "bool_value":
        return None if depth > MAX_DEPTH else value.bool_value
    return None


def _plain_signed(struct: Any, fields: Any, depth: int) -> Any:
    try:
        sig = _sig(fields[SPECIAL_SIG_KEY])
    except Exception as exc:  # noqa: BLE001 - whatever the SDK's decoding raises, the entry is None
        raise _Malformed from exc
    if sig == SPECIAL_SECRET_SIG and "value" in fields:
        return _plain(fields["value"], depth)  # a secret copies as its value, where the secret is
    if sig in (SPECIAL_ASSET_SIG, SPECIAL_ARCHIVE_SIG):
        try:
            _signed(struct, [])  # built (and failing) as decoding builds it; an asset copies as None
        except Exception as exc:  # noqa: BLE001
            raise _Malformed from exc
        return None
    raise _Malformed
