"""The pack's routed servicer gives exactly the SDK's results, through the real analyzer protocol."""

from __future__ import annotations

from pathlib import Path

import pytest
from fargate_policies.rules import _dispatch

from stacks.offline.analyzer import run_policy_pack
from stacks.offline.policy_config import load_policy_config
from stacks.offline.runner import run_program

ROOT = Path(__file__).resolve().parents[2]
VIOLATING = ROOT / "tests" / "fixtures" / "violating_project"


def test_the_installed_sdk_has_the_shape_routing_needs():
    assert _dispatch.supported(), "pulumi-policy changed: review policies/rules/_dispatch.py"


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    """Violations and not-applicable results of the violating fixture and of prod, with and without routing."""
    runs = {"bad": run_program(VIOLATING, "bad"), "prod": run_program(ROOT, "prod")}
    configs = {"bad": load_policy_config(VIOLATING / "policy.json"),
               "prod": load_policy_config(ROOT / "policies" / "config" / "prod.json")}
    results = {}
    with pytest.MonkeyPatch.context() as patch:
        for mode in ("routed", "sdk"):
            patch.setenv("FARGATE_POLICY_DISPATCH", mode)
            for name, program in runs.items():
                report = run_policy_pack(ROOT / "policies", program.project, name, program.resources, configs[name])
                results[mode, name] = (
                    sorted((v.policy, v.level, v.urn or "", v.message) for v in report.violations),
                    sorted((n.policy, n.urn or "", n.reason) for n in report.not_applicable),
                )
    return results


@pytest.mark.parametrize("stack", ["bad", "prod"])
def test_routing_changes_no_result(findings, stack):
    routed, sdk = findings["routed", stack], findings["sdk", stack]
    assert routed[0] == sdk[0], f"{stack}: violations differ"
    assert routed[1] == sdk[1], f"{stack}: not-applicable results differ"


def test_the_violating_fixture_really_violates(findings):
    violations, _ = findings["routed", "bad"]
    assert len({v[0] for v in violations}) >= 4, violations


def test_rules_see_the_runtime_settings_in_every_call(monkeypatch):
    """Each gRPC call runs in a fresh context; the routed servicer still gives rules the stack and its config."""
    import contextvars
    import json
    from concurrent.futures import ThreadPoolExecutor

    import pulumi
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
    from pulumi_policy import policy as sdk

    monkeypatch.setenv("PULUMI_PROJECT", "proj")
    monkeypatch.setenv("PULUMI_STACK", "stage-7")
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"proj:region": "eu-west-3"}))
    seen = []

    def validate(args, report):
        seen.append((pulumi.get_stack(), pulumi.runtime.is_dry_run(), pulumi.Config("proj").get("region"),
                     args.props["name"]))

    policy = ResourceValidationPolicy(name="see-settings", description="Reads the runtime settings.",
                                      validate=validate)
    policy.resource_types = ["aws:s3/bucket:Bucket"]
    servicer = _dispatch.RoutedServicer("pack", "0.0.1", [policy], EnforcementLevel.ADVISORY)

    def call(index):
        props = struct_pb2.Struct()
        props.update({"name": f"b{index}"})
        request = analyzer_pb2.AnalyzeRequest(type="aws:s3/bucket:Bucket", properties=props, urn=f"urn:{index}",
                                              name=f"b{index}")
        return contextvars.Context().run(servicer.Analyze, request, None)  # a fresh context, as gRPC gives

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(call, range(12)))
    assert sorted(seen) == sorted(("stage-7", True, "eu-west-3", f"b{i}") for i in range(12))
    assert isinstance(servicer, sdk._PolicyAnalyzerServicer)


def test_the_decoded_stack_reads_like_the_sdks():
    """Parents, dependencies and property dependencies of every resource of prod, as the SDK's own AnalyzeStack
    decoding gives them (the routed servicer builds property dependency lists only when read)."""
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import EnforcementLevel
    from pulumi_policy import policy as sdk

    from stacks.offline.analyzer import AnalysisSession, _Providers

    program = run_program(ROOT, "prod")
    session = AnalysisSession.__new__(AnalysisSession)  # only its request building is used
    session._providers, session._encoded = _Providers({"aws:region": "us-east-1"}), {}
    for r in program.resources:
        session._providers.add(r)
    request = analyzer_pb2.AnalyzeStackRequest.FromString(session._stack_request(program.resources))
    captured = []
    theirs_policy = sdk.StackValidationPolicy(name="capture", description="Captures the resources.",
                                              validate=lambda args, report: captured.extend(args.resources))
    sdk._PolicyAnalyzerServicer("p", "0.0.1", [theirs_policy], EnforcementLevel.ADVISORY).AnalyzeStack(request, None)
    ours = _dispatch.RoutedServicer("p", "0.0.1", [theirs_policy], EnforcementLevel.ADVISORY)._decode_stack(request)
    assert len(ours) == len(captured) == len(request.resources)

    def links(resources):
        return [(r.urn, r.parent.urn if r.parent else None, [d.urn for d in r.dependencies],
                 {k: [d.urn for d in v] for k, v in r.property_dependencies.items()}, len(r.property_dependencies))
                for r in resources]

    assert links(ours) == links(captured)
    assert any(r.property_dependencies for r in ours), "prod has property dependencies to compare"
    service = next(r for r in ours if r.property_dependencies)
    missing = "not-a-property"
    assert missing not in service.property_dependencies and service.property_dependencies.get(missing) is None
    with pytest.raises(KeyError):
        service.property_dependencies[missing]
    assert missing not in list(service.property_dependencies)  # reading a missing key added nothing


def test_the_pack_process_collects_rarely():
    """The pack's __main__ calls tune_collector: imports frozen out of the collector's sight, high thresholds."""
    import gc

    main = (ROOT / "policies" / "__main__.py").read_text(encoding="utf-8")
    assert "tune_collector()" in main
    before = gc.get_threshold()
    try:
        _dispatch.tune_collector()
        assert gc.get_threshold()[0] >= 10_000 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _stack_servicer(validate):
    from pulumi_policy import EnforcementLevel, StackValidationPolicy

    policy = StackValidationPolicy(name="watch-collector", description="Watches the collector.", validate=validate)
    return _dispatch.RoutedServicer("pack", "0.0.1", [policy], EnforcementLevel.ADVISORY)


def _stack_request():
    from pulumi.runtime.proto import analyzer_pb2

    return analyzer_pb2.AnalyzeStackRequest(resources=[analyzer_pb2.AnalyzerResource(type="aws:s3/bucket:Bucket",
                                                                                      urn="urn:b", name="b")])


@pytest.mark.parametrize("fails", [False, True])
def test_the_collector_is_paused_while_stack_policies_run_and_back_after(fails):
    import gc

    seen = []

    def validate(args, report):
        seen.append(gc.isenabled())
        if fails:
            raise RuntimeError("the policy broke")

    servicer = _stack_servicer(validate)
    assert gc.isenabled()
    try:
        servicer.AnalyzeStack(_stack_request(), None)
    except RuntimeError:
        assert fails
    assert seen == [False], "the stack policy ran with the collector paused"
    assert gc.isenabled(), "the collector is back on after AnalyzeStack, whatever the policy did"


def test_a_collector_that_was_off_stays_off():
    import gc

    servicer = _stack_servicer(lambda args, report: None)
    gc.disable()
    try:
        servicer.AnalyzeStack(_stack_request(), None)
        assert not gc.isenabled(), "AnalyzeStack turned on a collector its caller had turned off"
    finally:
        gc.enable()


def test_overlapping_stack_calls_turn_the_collector_back_on_when_the_last_ends():
    import gc

    pause = _dispatch._CollectorPause()
    assert gc.isenabled()
    try:
        pause.__enter__()
        pause.__enter__()  # a second call begins while the first runs
        pause.__exit__(None, None, None)
        assert not gc.isenabled(), "one call still runs"
        pause.__exit__(None, None, None)
        assert gc.isenabled(), "the last call ended"
    finally:
        gc.enable()


def test_dependency_urns_read_off_the_wire_match_the_generic_copy():
    """costing.graph._deps over a stack resource's property dependencies (the wire fast path) gives what it
    gives over the same lists of resources in a plain dict, including dependencies outside the stack."""
    from fargate_policies.costing import graph
    from pulumi.runtime.proto import analyzer_pb2

    request = analyzer_pb2.AnalyzeStackRequest()
    for name, deps in [("", {}), ("a", {}), ("b", {"x": ["urn:a"], "y": ["urn:a", "urn:gone", ""], "z": []}),
                       ("c", {"w": ["urn:b", "urn:a"]})]:
        resource = request.resources.add(type="aws:s3/bucket:Bucket", urn=name and f"urn:{name}", name=name)
        for key, urns in deps.items():
            resource.propertyDependencies[key].urns.extend(urns)
    servicer = _stack_servicer(lambda args, report: None)
    stack = servicer._decode_stack(request)
    assert all(graph._own_copy(type(r.property_dependencies), "plain_urns") for r in stack), "the fast path"
    fast = [graph._deps(r.property_dependencies) for r in stack]
    generic = [graph._deps(dict(r.property_dependencies)) for r in stack]
    assert fast == generic == [{}, {}, {"x": ("urn:a",), "y": ("urn:a",), "z": ()}, {"w": ("urn:b", "urn:a")}]
