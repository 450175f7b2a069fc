"""rules._decode builds exactly what pulumi-policy's three decoding passes build, from any Struct."""

from __future__ import annotations

import math
from typing import Any

import pulumi
import pytest
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
from rules._decode import decode

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
def test_malformed_signed_values_fail_like_the_sdk(bad):
    struct = to_struct({"x": bad})
    with pytest.raises(AssertionError) as ours:
        decode(struct)
    with pytest.raises(AssertionError) as theirs:
        sdk_decode(struct)
    assert str(ours.value) == str(theirs.value)


def test_numbers_json_cannot_hold_fail_like_the_sdk():
    struct = to_struct({"n": math.inf})
    with pytest.raises(ValueError, match="Infinity"):
        decode(struct)
    with pytest.raises(ValueError, match="Infinity"):
        sdk_decode(struct)
