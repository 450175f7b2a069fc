"""The analyzer's hand-encoded requests parse to exactly the messages protobuf would build."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2

from stacks.offline.analyzer import _properties_field, _varint, encode_properties, to_struct
from stacks.offline.runner import UNKNOWN, SecretValue

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                    st.floats(allow_nan=False), st.text(max_size=300), st.just(UNKNOWN))
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.tuples(children, children),
    st.dictionaries(st.text(max_size=140), children, max_size=5), children.map(SecretValue)), max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=140), values, max_size=8))
def test_encoded_properties_parse_to_the_struct_protobuf_builds(props):
    assert struct_pb2.Struct.FromString(encode_properties(props)) == to_struct(props)


@pytest.mark.parametrize("number", [1, 127, 128, 300, 16_383, 16_384, 2**31, 2**63 - 1])
def test_varints_are_protobufs(number):
    """A length or field key as protobuf writes it: compared with protobuf's own encoding of a uint64 field."""
    from google.protobuf import wrappers_pb2

    assert b"\x08" + _varint(number) == wrappers_pb2.UInt64Value(value=number).SerializeToString()
    assert _varint(0) == b"\x00"  # zero (protobuf omits a zero field, so it is checked on its own)


def test_a_request_with_appended_properties_parses_whole():
    props = {"name": "web", "nested": {"ports": [80, 443]}, "big": "x" * 5000}
    head = analyzer_pb2.AnalyzeRequest(type="aws:ecs/service:Service", urn="urn:x", name="web")
    request = analyzer_pb2.AnalyzeRequest.FromString(
        head.SerializeToString() + _properties_field(analyzer_pb2.AnalyzeRequest, encode_properties(props)))
    assert request.type == "aws:ecs/service:Service" and request.urn == "urn:x" and request.name == "web"
    assert request.properties == to_struct(props)


def test_values_protobuf_cannot_hold_are_refused():
    with pytest.raises(ValueError, match="Unexpected type"):
        encode_properties({"when": object()})


def test_subclasses_encode_as_their_base_types():
    import enum
    from collections import OrderedDict

    class Size(enum.IntEnum):
        SMALL = 256

    class Token(str):
        def __str__(self) -> str:
            return "<token>"

    arm = Token("ARM64")
    props = {"cpu": Size.SMALL, "arch": arm, "nested": OrderedDict(a=[Size.SMALL, arm])}
    parsed = struct_pb2.Struct.FromString(encode_properties(props))
    assert parsed == to_struct({"cpu": 256, "arch": "ARM64", "nested": {"a": [256, "ARM64"]}})
    assert parsed == to_struct(props)


def test_the_pipeline_files_every_failure_and_never_hangs():
    """Unreachable pack: every call comes back as an RpcError. A call that raises anything else is filed too,
    so waiting always ends."""
    import threading

    import grpc

    from stacks.offline.analyzer import _Pipeline

    pipeline = _Pipeline("127.0.0.1:9", 4)  # nothing listens on the discard port
    try:
        for index in range(10):
            pipeline.send(f"urn:{index}", b"")

        def broken(request, timeout=None):
            raise ValueError("broken method")

        results: dict = {}
        waiter = threading.Thread(target=lambda: results.update(pipeline.wait()), daemon=True)
        waiter.start()
        waiter.join(timeout=30)
        assert not waiter.is_alive(), "wait() hung"
        assert len(results) == 10 and all(isinstance(r, grpc.RpcError) for r in results.values()), results

        pipeline._methods["Analyze"] = broken
        pipeline.send("urn:broken", b"")
        waiter = threading.Thread(target=lambda: results.update(pipeline.wait()), daemon=True)
        waiter.start()
        waiter.join(timeout=30)
        assert not waiter.is_alive(), "wait() hung"
        assert isinstance(results["urn:broken"], ValueError)
    finally:
        pipeline.close()
