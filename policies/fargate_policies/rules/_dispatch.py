"""Make the analyzer's cost grow with what each policy reads, not with policies × resources.

pulumi-policy's analyzer, for every Analyze request, reconfigures its runtime
from the environment and decodes the resource's properties (and its
provider's) once per resource policy of the pack, although each of this
pack's rules applies to a handful of types; and for AnalyzeStack it decodes
the whole stack once per stack policy. On a stack of 15,000 resources that
work is most of the time. :func:`install` puts in a servicer that

- routes each Analyze request only to the resource policies whose
  ``resource_types`` include the request's type (the others would return at
  once without a finding, so the results are the same);
- decodes a request's properties once, in one pass (:mod:`rules._decode`),
  and shares them among the policies (which only read them); a provider is
  decoded once per distinct provider;
- decodes the stack once per AnalyzeStack request and shares the resources,
  and the :class:`rules._net.StackIndex` built over them, among the stack
  policies; and
- configures the runtime settings once per server thread instead of once
  per request (they come from the environment, which does not change).

Everything else (config, enforcement levels, reporting, not-applicable and
unknown-value handling) stays the SDK's own. If the SDK no longer has the
shape this relies on, :func:`install` leaves it alone and the pack simply runs
at the SDK's speed.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
from collections.abc import Iterator, Mapping
from inspect import isawaitable
from typing import Any

from pulumi.runtime import proto
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import UnknownValueError

from fargate_policies.rules._decode import decode
from fargate_policies.rules._net import shared_indexes

_MAX_PROVIDERS = 256
"""Decoded providers kept for reuse; a stack has a few, the bound only guards a pathological engine."""

_BASE = getattr(sdk, "_PolicyAnalyzerServicer", None)
_NEEDED = ("Analyze", "AnalyzeStack", "_get_enforcement_level", "_create_report_violation",
           "_get_resource_options", "_get_policy_config", "_configure_runtime_settings", "_map_enforcement_level")


def supported() -> bool:
    """Whether the installed pulumi-policy has the servicer shape this module builds on."""
    return _BASE is not None and all(hasattr(_BASE, name) for name in _NEEDED)


def _run(result: Any) -> None:
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


if supported():
    class RoutedServicer(_BASE):  # type: ignore[misc,valid-type]
        """The SDK's servicer, with type routing, lazy decoding shared by a request's rules, and per-thread
        runtime settings (see the module docstring)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._routes: dict[str, list[sdk.Policy]] = {}
            self._routes_lock = threading.Lock()
            self._contexts = threading.local()
            self._providers: dict[tuple[str, str, str, bytes], sdk.PolicyProviderResource] = {}

        @property
        def _all_policies(self) -> list[sdk.Policy]:
            return self._PolicyAnalyzerServicer__policies  # the SDK's name-mangled policy list

        def _routed(self, resource_type: str) -> list[sdk.Policy]:
            routes = self._routes.get(resource_type)
            if routes is None:
                routes = [p for p in self._all_policies
                          if isinstance(p, sdk.ResourceValidationPolicy)
                          and resource_type in getattr(p, "resource_types", (resource_type,))]
                with self._routes_lock:
                    self._routes[resource_type] = routes
            return routes

        def _in_configured_context(self, method: Any, request: Any) -> Any:
            """``method(request)`` in a context holding the SDK's runtime settings, configured once per thread.

            gRPC gives every call a fresh context, and the SDK configures the
            runtime's context variables from the environment (which does not
            change) on every call. One configured context per server thread
            (a context cannot be entered by two threads at once) gives each
            call the same settings for a fraction of the work.
            """
            context = getattr(self._contexts, "context", None)
            if context is None:
                context = contextvars.Context()
                context.run(self._configure_runtime_settings)
                self._contexts.context = context
            return context.run(method, request)

        def _provider(self, request) -> sdk.PolicyProviderResource | None:
            """The request's provider, decoded once per distinct provider (a stack has a handful)."""
            if not request.HasField("provider"):
                return None
            prov = request.provider
            key = (prov.type, prov.urn, prov.name, prov.properties.SerializeToString(deterministic=True))
            found = self._providers.get(key)
            if found is None:
                found = sdk.PolicyProviderResource(prov.type, decode(prov.properties), prov.urn, prov.name)
                if len(self._providers) >= _MAX_PROVIDERS:
                    self._providers.clear()
                self._providers[key] = found
            return found

        def Analyze(self, request, context):  # noqa: N802 - gRPC method name
            return self._in_configured_context(self._analyze, request)

        def _analyze(self, request: Any) -> Any:
            response = proto.AnalyzeResponse()
            routed = [(p, self._get_enforcement_level(p)) for p in self._routed(request.type)]
            routed = [(p, level) for p, level in routed if level != sdk.EnforcementLevel.DISABLED]
            if not routed:
                return response
            # Decoded once and shared: rules only read their arguments.
            props = decode(request.properties)
            opts = self._get_resource_options(request)
            provider = self._provider(request)
            stack_tags = getattr(self, "_PolicyAnalyzerServicer__stack_tags", {})
            for policy, level in routed:
                if not policy.has_validation():
                    response.not_applicable.append(proto.PolicyNotApplicable(
                        policy_name=policy.name, reason="Policy does not implement validate"))
                    continue
                if level == sdk.EnforcementLevel.REMEDIATE:
                    level = sdk.EnforcementLevel.MANDATORY  # a violation left after remediation
                report = self._create_report_violation(response, policy.name, policy.description, level,
                                                       policy.severity)
                args = sdk.ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider,
                                                  self._get_policy_config(policy.name), stack_tags)
                self._validate(policy, args, report, response)
            return response

        def _validate(self, policy: sdk.Policy, args: Any, report: Any, response: Any) -> None:
            try:
                _run(policy.validate(args, report))
            except UnknownValueError as exc:
                response.diagnostics.append(self._cannot_decide(policy, exc))
            except sdk._NotApplicableError as exc:
                response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name,
                                                                         reason=exc.reason or ""))

        def AnalyzeStack(self, request, context):  # noqa: N802 - gRPC method name
            with _COLLECTOR_PAUSE:
                return self._in_configured_context(self._analyze_stack, request)

        def _analyze_stack(self, request: Any) -> Any:
            response = proto.AnalyzeResponse()
            stack_policies = [p for p in self._all_policies if isinstance(p, sdk.StackValidationPolicy)
                              and self._get_enforcement_level(p) != sdk.EnforcementLevel.DISABLED]
            if not stack_policies:
                return response
            resources = self._decode_stack(request)
            stack_tags = getattr(self, "_PolicyAnalyzerServicer__stack_tags", {})
            with shared_indexes():  # every stack policy reads the same list: index it once
                for policy in stack_policies:
                    level = self._get_enforcement_level(policy)
                    if level == sdk.EnforcementLevel.REMEDIATE:
                        level = sdk.EnforcementLevel.MANDATORY  # stack policies cannot remediate
                    report = self._create_report_violation(response, policy.name, policy.description, level,
                                                           policy.severity)
                    args = sdk.StackValidationArgs(resources, self._get_policy_config(policy.name), stack_tags)
                    self._validate(policy, args, report, response)
            return response

        def _decode_stack(self, request) -> list[sdk.PolicyResource]:
            """Every resource of the request, decoded once (lazily), with parents and dependencies linked."""
            decoded = []
            by_urn: dict[str, sdk.PolicyResource] = {}
            for r in request.resources:
                resource = sdk.PolicyResource(r.type, decode(r.properties), r.urn, r.name,
                                              self._get_resource_options(r), self._provider(r), None, [],
                                              _Dependencies(r.propertyDependencies, by_urn))
                by_urn[r.urn] = resource
                decoded.append((resource, r))
            for resource, r in decoded:
                resource.parent = by_urn.get(r.parent) if r.parent else None
                resource.dependencies.extend([by_urn[d] for d in r.dependencies if d in by_urn])
            return [resource for resource, _ in decoded]

        def _cannot_decide(self, policy: sdk.Policy, exc: UnknownValueError) -> Any:
            pack = getattr(self, "_PolicyAnalyzerServicer__policy_pack_name", "")
            version = getattr(self, "_PolicyAnalyzerServicer__policy_pack_version", "")
            return proto.AnalyzeDiagnostic(
                policyName=policy.name, policyPackName=pack, policyPackVersion=version,
                message=f"can't run policy '{policy.name}' from policy pack '{pack}@v{version}' during preview: "
                        f"{exc.message}",
                urn="", description=policy.description,
                enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
            )


class _Dependencies(Mapping):
    """A stack resource's property dependencies (property -> the resources it came from), each list built
    when first read: most resources' are never read, and building them all is a sizeable share of a large
    stack's decoding. Reads as the SDK's dict does."""

    __slots__ = ("_built", "_by_urn", "_wire")

    def __init__(self, wire: Any, by_urn: Mapping[str, Any]) -> None:
        self._wire = wire
        self._by_urn = by_urn
        self._built: dict[str, list[Any]] = {}

    def __getitem__(self, key: str) -> list[Any]:
        built = self._built.get(key)
        if built is None:
            if not isinstance(key, str) or key not in self._wire:  # indexing a protobuf map would add the key
                raise KeyError(key)
            by_urn = self._by_urn
            built = self._built[key] = [by_urn[u] for u in self._wire[key].urns if u in by_urn]
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._wire)

    def plain_urns(self) -> dict[str, tuple[str, ...]]:
        """Property -> the URNs of the stack's resources it depends on, read off the wire: what
        ``costing.graph`` copies, without building the resource lists."""
        by_urn = self._by_urn
        return {key: tuple(u for u in deps.urns if u and u in by_urn) for key, deps in self._wire.items()}

    def __len__(self) -> int:
        return len(self._wire)


class _CollectorPause:
    """Pauses the garbage collector while any AnalyzeStack call runs.

    A stack's decoded resources, and the indexes and copies the stack
    policies make of them, live until the call returns; with the collector
    on, its generational passes keep re-scanning them (a tenth of a large
    stack's evaluation) and find nothing to free. Garbage is still freed by
    reference counting, and what cycles the call leaves are collected once
    the collector is back on. Calls may overlap: the collector comes back
    when the last one ends, and only if it was on when the first began.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._restore = False

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._restore = gc.isenabled()
                gc.disable()
            self._active += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._restore:
                gc.enable()


_COLLECTOR_PAUSE = _CollectorPause()


def tune_collector() -> None:
    """Garbage-collector settings for the pack's process.

    Evaluating a stack allocates a few objects for every property read, and
    few of them ever form cycles; with the collector's default thresholds a
    large stack spends a third of its time re-scanning live objects. The
    objects of the imports are moved out of its sight, and full collections
    become rare.
    """
    gc.freeze()
    gc.set_threshold(10_000, 50, 1_000)


def install() -> bool:
    """Use :class:`RoutedServicer` for the PolicyPack created next; False when the SDK's shape is unknown."""
    if not supported():
        return False
    sdk._PolicyAnalyzerServicer = RoutedServicer
    return True
