"""The pack's readers over props as pulumi-policy hands them to rules: decoded from the request and behind its
unknown-checking proxy (``rules._common.get`` for the rules, ``costing.graph`` for the cost estimate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fargate_policies.costing import graph
from fargate_policies.rules._common import StackResource, get
from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

UNKNOWN = UNKNOWN_STRING_VALUE


def _secret(inner: Any) -> dict[str, Any]:
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": inner}


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def decoded(props: dict[str, Any]) -> Any:
    """What a rule's ``args.props`` is for ``props`` sent over the analyzer protocol: the SDK's own decoding."""
    return deserialize_properties(json_format.MessageToDict(_struct(props)))


scalars = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                    st.integers(-(2**40), 2**40), st.text(max_size=8), st.just(UNKNOWN))
keys = st.one_of(st.text(max_size=6), st.sampled_from(["value", "ports", "0"]))
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4),
                               children.map(_secret)),
    max_leaves=30,
)


class _OpaqueMapping(Mapping):
    """A mapping ``get`` knows nothing about, over plain values: no proxy, so an unknown reads as its sentinel."""

    def __init__(self, inner: Mapping[str, Any]) -> None:
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
    return ("ok", graph.plain(value))


def _sentinel_path(props: Any, path: tuple[Any, ...]) -> list[str] | None:
    """Where along ``path`` the plain ``props`` first hold the unknown sentinel (as the SDK names the path)."""
    current, walked = props, []
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
        elif not isinstance(current, Mapping) or step not in current:
            return None
        current = current[step]
        walked.append(str(step))
        if current == UNKNOWN:
            return walked
        if current is None:
            return None
    return None


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, values, max_size=6), st.lists(st.one_of(keys, st.integers(-2, 3)), min_size=1, max_size=4))
def test_get_reads_the_sdks_proxy_as_any_mapping_and_raises_on_unknowns(props, path):
    """Through the proxy, ``get`` gives what it gives over plain values, except that an unknown value on the path
    raises the SDK's UnknownValueError naming it (the rule then cannot decide, visibly)."""
    plain_props = decoded(props)
    ours = _outcome(lambda: get(unknown_checking_proxy(decoded(props)), *path, default="missing"))
    unknown_at = _sentinel_path(plain_props, tuple(path))
    if unknown_at is None:
        assert ours == _outcome(lambda: get(_OpaqueMapping(plain_props), *path, default="missing"))
    else:
        assert ours == ("unknown", unknown_at)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_the_cost_estimates_copy_reads_through_the_proxy_as_without_it(props):
    """Unknowns copy as None whether the proxy raises on them or the sentinel is read as it is."""
    assert graph.plain(unknown_checking_proxy(decoded(props))) == graph.plain(decoded(props))


def test_the_copy_unwraps_secrets_and_drops_unknowns():
    props = unknown_checking_proxy(decoded({"spec": {"ports": [80, UNKNOWN]}, "token": _secret("s3cret"),
                                            "arn": UNKNOWN}))
    assert graph.plain(props) == {"spec": {"ports": [80.0, None]}, "token": "s3cret", "arn": None}
    assert graph._plain_keys(props, ["spec", "arn", "absent"]) == {"spec": {"ports": [80.0, None]}, "arn": None}


def test_dependencies_copy_as_the_urns_of_the_resources_they_name():
    a = StackResource("aws:s3/bucket:Bucket", {}, "urn:a")
    b = StackResource("aws:s3/bucket:Bucket", {}, "urn:b", property_dependencies={"x": [a]})
    outside = StackResource("aws:s3/bucket:Bucket", {}, "")
    assert graph._deps({"x": [a], "y": [a, outside, "urn:named"], "z": []}) == {
        "x": ("urn:a",), "y": ("urn:a", "urn:named"), "z": ()}
    nodes = graph.normalize([a, b])
    assert [(n.urn, n.deps) for n in nodes] == [("urn:a", {}), ("urn:b", {"x": ("urn:a",)})]
