"""Recorded values as the engine sends them to an analyzer: secrets signed, unknowns as the sentinel."""

from __future__ import annotations

import enum
from collections import OrderedDict

from google.protobuf import json_format

from stacks.offline.analyzer import to_struct
from stacks.offline.runner import SECRET_SIG, SIG_KEY, UNKNOWN, UNKNOWN_SENTINEL, SecretValue


def test_secrets_unknowns_and_tuples_take_the_engines_wire_form():
    props = {"token": SecretValue("hunter2"), "arn": UNKNOWN, "ports": (80, 443),
             "nested": {"env": [{"value": SecretValue({"inner": UNKNOWN})}]}}
    assert json_format.MessageToDict(to_struct(props)) == {
        "token": {SIG_KEY: SECRET_SIG, "value": "hunter2"},
        "arn": UNKNOWN_SENTINEL,
        "ports": [80.0, 443.0],
        "nested": {"env": [{"value": {SIG_KEY: SECRET_SIG, "value": {"inner": UNKNOWN_SENTINEL}}}]},
    }


def test_subclasses_go_as_their_base_types():
    class Size(enum.IntEnum):
        SMALL = 256

    class Token(str):
        def __str__(self) -> str:
            return "<token>"

    arm = Token("ARM64")
    props = {"cpu": Size.SMALL, "arch": arm, "nested": OrderedDict(a=[Size.SMALL, arm])}
    assert json_format.MessageToDict(to_struct(props)) == {"cpu": 256.0, "arch": "ARM64",
                                                           "nested": {"a": [256.0, "ARM64"]}}
