"""rules._decode gives exactly what pulumi-policy's three decoding passes give, from any Struct, read in any order."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pulumi
import pytest
from fargate_policies.rules._common import get
from fargate_policies.rules._decode import LazyDict, decode
from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_policy.deserialize import (
    SPECIAL_ARCHIVE_SIG,
    SPECIAL_ASSET_SIG,
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    deserialize_properties,
)
from pulumi_policy.proxy import UnknownValueError, _DictProxy, _ListProxy, unknown_checking_proxy

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def sdk_decode(struct: struct_pb2.Struct) -> Any:
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def shape(value: Any) -> Any:
    """A proxy tree as plain data, paths and types included, so that two trees compare completely."""
    if isinstance(value, _DictProxy):
        target = value["__target"]
        return ("dict", tuple(value._DictProxy__props_acc), [(k, shape(v)) for k, v in target.items()])
    if isinstance(value, _ListProxy):
        return ("list", tuple(value._ListProxy__props_acc), [shape(v) for v in value["__target"]])
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        return (type(value).__name__, [(k, shape(v)) for k, v in sorted(vars(value).items())])
    if isinstance(value, dict):
        return ("plain-dict", [(k, shape(v)) for k, v in value.items()])
    return (type(value).__name__, repr(value))


scalars = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                    st.integers(-(2**40), 2**40), st.text(max_size=8), st.just(UNKNOWN))
keys = st.one_of(st.text(max_size=6), st.sampled_from(["value", "ports", "0"]))


def _secret(inner: Any) -> dict[str, Any]:
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": inner}


values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4),
                               children.map(_secret)),
    max_leaves=30,
)


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_decode_matches_the_sdk_on_any_properties(props):
    struct = to_struct(props)
    assert shape(decode(struct)) == shape(sdk_decode(struct))


def test_secrets_are_unwrapped_at_their_own_path():
    struct = to_struct({"env": [{"name": "A", "value": _secret({"inner": "s3cret"})}]})
    decoded = decode(struct)
    inner = decoded["env"][0]["value"]
    assert isinstance(inner, _DictProxy) and inner._DictProxy__props_acc == ["env", "0", "value"]
    assert inner["inner"] == "s3cret"
    assert shape(decoded) == shape(sdk_decode(struct))


def test_unknowns_raise_with_the_path_like_the_sdk():
    decoded = decode(to_struct({"spec": {"ports": [80, UNKNOWN]}}))
    with pytest.raises(UnknownValueError) as raised:
        decoded["spec"]["ports"][1]
    assert raised.value.props == ["spec", "ports", "1"]


@pytest.mark.parametrize("asset", [
    {SPECIAL_SIG_KEY: SPECIAL_ASSET_SIG, "text": "hello"},
    {SPECIAL_SIG_KEY: SPECIAL_ARCHIVE_SIG, "assets": {"a.txt": {SPECIAL_SIG_KEY: SPECIAL_ASSET_SIG, "path": "a"}}},
])
def test_assets_and_archives_become_the_sdks_objects(asset):
    struct = to_struct({"code": asset})
    assert shape(decode(struct)) == shape(sdk_decode(struct))
    assert type(decode(struct)["code"]).__module__.startswith("pulumi")


@pytest.mark.parametrize("bad", [
    {SPECIAL_SIG_KEY: "not-a-signature"},
    {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG},
])
def test_malformed_signed_values_fail_like_the_sdk_when_read(bad):
    """The SDK fails while decoding the request; a lazy read fails with the same error when the value is read
    (inside the rule, which reports it as a finding)."""
    struct = to_struct({"x": bad, "ok": 1})
    decoded = decode(struct)
    assert decoded["ok"] == 1
    with pytest.raises(AssertionError) as ours:
        decoded["x"]
    with pytest.raises(AssertionError) as theirs:
        sdk_decode(struct)
    assert str(ours.value) == str(theirs.value)


def test_numbers_json_cannot_hold_fail_like_the_sdk_when_read():
    struct = to_struct({"n": math.inf})
    with pytest.raises(ValueError, match="Infinity"):
        decode(struct)["n"]
    with pytest.raises(ValueError, match="Infinity"):
        sdk_decode(struct)


def _reads(draw_keys: list[str], proxy: Any, reference: Any) -> None:
    """Read ``draw_keys`` (and ``in``, ``get``, ``len``) from both proxies, expecting the same outcome."""
    for key in draw_keys:
        for op in (lambda p, k=key: p[k], lambda p, k=key: k in p, lambda p, k=key: p.get(k, "missing"), len):
            outcome = []
            for target in (proxy, reference):
                try:
                    outcome.append(("ok", shape(op(target))))
                except (KeyError, UnknownValueError) as exc:
                    outcome.append((type(exc).__name__, getattr(exc, "props", exc.args)))
            assert outcome[0] == outcome[1], (key, outcome)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, values, max_size=6), st.lists(keys, max_size=8))
def test_partial_reads_in_any_order_match_the_sdk(props, reads):
    """Entries read before the rest (in any order, including missing and unknown keys) read as the SDK's do,
    and the keys still come out in the SDK's order."""
    struct = to_struct(props)
    ours, theirs = decode(struct), sdk_decode(struct)
    _reads([*reads, *props], ours, theirs)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert shape(ours) == shape(theirs)


def test_nested_objects_are_lazy_too_and_writes_keep_every_key():
    struct = to_struct({"a": {"x": 1, "y": {"z": UNKNOWN}}, "b": 2})
    decoded = decode(struct)
    nested = decoded["a"]
    assert isinstance(nested, LazyDict) and nested._DictProxy__props_acc == ["a"]
    with pytest.raises(UnknownValueError) as raised:
        nested["y"]["z"]
    assert raised.value.props == ["a", "y", "z"]
    decoded["c"] = 3
    assert list(decoded) == ["a", "b", "c"] and decoded["b"] == 2 and decoded["c"] == 3
    assert decoded["__target"]["c"] == 3


class _OpaqueMapping(Mapping):
    """A mapping that ``rules._common.get`` knows nothing about: it takes the generic ``in``-then-``[]`` path."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getitem__(self, key: Any) -> Any:
        value = self._inner[key]
        return _OpaqueMapping(value) if isinstance(value, Mapping) else value

    def __iter__(self) -> Any:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)


def _outcome(read: Any) -> Any:
    try:
        value = read()
    except UnknownValueError as exc:
        return ("unknown", exc.props)
    return ("ok", shape(value._inner) if isinstance(value, _OpaqueMapping) else shape(value))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, values, max_size=6), st.lists(st.one_of(keys, st.integers(-2, 3)), min_size=1, max_size=4))
def test_get_reads_a_decoded_proxy_as_it_reads_any_mapping(props, path):
    """``get`` reads the pack's own proxies in one step; the value, the default for a miss and the unknown-value
    error are what the generic path gives over the SDK's proxy."""
    struct = to_struct(props)
    ours = _outcome(lambda: get(decode(struct), *path, default="missing"))
    assert ours == _outcome(lambda: get(sdk_decode(struct), *path, default="missing"))
    assert ours == _outcome(lambda: get(_OpaqueMapping(sdk_decode(struct)), *path, default="missing"))


# --- Plain copies for the cost estimate, straight from the wire -------------------------------------------------
_MALFORMED = [
    math.inf, -math.inf, math.nan,
    {SPECIAL_SIG_KEY: "not-a-signature"},
    {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG},
    {SPECIAL_SIG_KEY: 1.5},
    {SPECIAL_SIG_KEY: SPECIAL_ASSET_SIG},
]
wire_values = st.recursive(
    st.one_of(scalars, st.sampled_from(_MALFORMED), st.just("[unknown]"),
              st.just({SPECIAL_SIG_KEY: SPECIAL_ASSET_SIG, "text": "hello"})),
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=4),
                               children.map(_secret)),
    max_leaves=40,
)


def _generic_copy(read):
    """``read()`` with costing.graph's own generic copy, the mappings' shortcuts switched off."""
    from fargate_policies.costing import graph

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph, "_own_copy", lambda cls, method: None)
        return read()


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, wire_values, max_size=6), st.lists(keys, max_size=4), st.integers(0, 3),
       st.sampled_from([(32, 10_000), (2, 3), (0, 1)]))
def test_plain_copies_from_the_wire_equal_the_generic_copy(props, read_first, depth, limits):
    """Whatever the properties hold (malformed numbers and signatures anywhere, secrets, assets, unknowns,
    nesting past the depth limit, lists past the length limit) and whatever was read before, the copy made
    from the wire fields is the one costing.graph makes by reading the decoded proxies."""
    from fargate_policies.costing import graph
    from fargate_policies.rules import _decode

    struct = to_struct(props)

    def read_some(decoded: Any) -> Any:
        for key in read_first:  # entries rules read before the estimate copies the bag
            try:
                decoded[key]
            except Exception:  # noqa: BLE001 - unknown, missing or malformed: read or not, the copy is the same
                pass
        return decoded

    with pytest.MonkeyPatch.context() as patch:
        for module in (graph, _decode):
            patch.setattr(module, "MAX_DEPTH", limits[0])
            patch.setattr(module, "MAX_ITEMS", limits[1])
        ours = decode(struct)
        assert ours.plain_copy(depth) is not NotImplemented
        fast = graph.plain(read_some(ours), depth)
        assert fast == _generic_copy(lambda: graph.plain(read_some(decode(struct)), depth))
        entries = [*read_first, "value", 7]
        assert graph._plain_keys(read_some(decode(struct)), entries) == _generic_copy(
            lambda: graph._plain_keys(read_some(decode(struct)), entries))


def test_plain_copies_are_the_generic_ones_once_decoded():
    """A bag decoded whole (or written to) has no wire fields left to copy: the generic copy is made."""
    from fargate_policies.costing import graph

    decoded = decode(to_struct({"a": {"b": [1, "x"]}, "c": UNKNOWN}))
    decoded["d"] = 2
    assert decoded.plain_copy(0) is NotImplemented and decoded.plain_entries(["a"]) is NotImplemented
    assert graph.plain(decoded) == {"a": {"b": [1.0, "x"]}, "c": None, "d": 2}
    assert graph._plain_keys(decoded, ["a", "zz"]) == {"a": {"b": [1.0, "x"]}}
