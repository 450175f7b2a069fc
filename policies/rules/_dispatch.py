"""Make the analyzer's cost grow with what each policy reads, not with policies × resources.

pulumi-policy's analyzer, for every Analyze request, decodes the resource's
properties once per resource policy of the pack, although each of this pack's
rules applies to a handful of types; and for AnalyzeStack it decodes the whole
stack once per stack policy. On a stack of 15,000 resources that decoding is
most of the time. :func:`install` puts in a servicer that

- routes each Analyze request only to the resource policies whose
  ``resource_types`` include the request's type (the others would return at
  once without a finding, so the results are the same), and
- decodes the stack once per AnalyzeStack request and shares the resources
  among the stack policies (which only read them).

Everything else (config, enforcement levels, reporting, not-applicable and
unknown-value handling) stays the SDK's own. If the SDK no longer has the
shape this relies on, :func:`install` leaves it alone and the pack simply runs
at the SDK's speed.
"""

from __future__ import annotations

import asyncio
import threading
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

_BASE = getattr(sdk, "_PolicyAnalyzerServicer", None)
_NEEDED = ("Analyze", "AnalyzeStack", "_get_enforcement_level", "_create_report_violation",
           "_get_resource_options", "_get_provider_resource", "_get_policy_config", "_configure_runtime_settings",
           "_map_enforcement_level")


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
        """The SDK's servicer, with type routing for Analyze and one decoding per AnalyzeStack."""

        _narrowed = threading.local()

        # The SDK keeps its policy list in a name-mangled attribute; reads during Analyze see only the
        # policies routed to the request's type (per thread: gRPC serves requests concurrently).
        @property
        def _PolicyAnalyzerServicer__policies(self) -> list[sdk.Policy]:
            narrowed = getattr(self._narrowed, "policies", None)
            return narrowed if narrowed is not None else self._all_policies

        @_PolicyAnalyzerServicer__policies.setter
        def _PolicyAnalyzerServicer__policies(self, policies: list[sdk.Policy]) -> None:
            self._all_policies = list(policies)
            self._routes: dict[str, list[sdk.Policy]] = {}
            self._routes_lock = threading.Lock()

        def _routed(self, resource_type: str) -> list[sdk.Policy]:
            routes = self._routes.get(resource_type)
            if routes is None:
                routes = [p for p in self._all_policies
                          if isinstance(p, sdk.ResourceValidationPolicy)
                          and resource_type in getattr(p, "resource_types", (resource_type,))]
                with self._routes_lock:
                    self._routes[resource_type] = routes
            return routes

        def Analyze(self, request, context):  # noqa: N802 - gRPC method name
            self._narrowed.policies = self._routed(request.type)
            try:
                return super().Analyze(request, context)
            finally:
                self._narrowed.policies = None

        def AnalyzeStack(self, request, context):  # noqa: N802 - gRPC method name
            self._configure_runtime_settings()
            response = proto.AnalyzeResponse()
            stack_policies = [p for p in self._all_policies if isinstance(p, sdk.StackValidationPolicy)
                              and self._get_enforcement_level(p) != sdk.EnforcementLevel.DISABLED]
            if not stack_policies:
                return response
            resources = self._decode_stack(request)
            stack_tags = getattr(self, "_PolicyAnalyzerServicer__stack_tags", {})
            for policy in stack_policies:
                level = self._get_enforcement_level(policy)
                if level == sdk.EnforcementLevel.REMEDIATE:
                    level = sdk.EnforcementLevel.MANDATORY  # stack policies cannot remediate
                report = self._create_report_violation(response, policy.name, policy.description, level,
                                                       policy.severity)
                args = sdk.StackValidationArgs(resources, self._get_policy_config(policy.name), stack_tags)
                try:
                    _run(policy.validate(args, report))
                except UnknownValueError as exc:
                    response.diagnostics.append(self._cannot_decide(policy, exc))
                except sdk._NotApplicableError as exc:
                    response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name,
                                                                             reason=exc.reason or ""))
            return response

        def _decode_stack(self, request) -> list[sdk.PolicyResource]:
            """Every resource of the request, decoded once, with parents and dependencies linked."""
            decoded = []
            by_urn: dict[str, sdk.PolicyResource] = {}
            for r in request.resources:
                props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(r.properties)))
                resource = sdk.PolicyResource(r.type, props, r.urn, r.name, self._get_resource_options(r),
                                              self._get_provider_resource(r), None, [], {})
                by_urn[r.urn] = resource
                decoded.append((resource, r))
            for resource, r in decoded:
                resource.parent = by_urn.get(r.parent) if r.parent else None
                resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
                for key, urns in r.propertyDependencies.items():
                    resource.property_dependencies[key] = [by_urn[u] for u in urns.urns if u in by_urn]
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


def install() -> bool:
    """Use :class:`RoutedServicer` for the PolicyPack created next; False when the SDK's shape is unknown."""
    if not supported():
        return False
    sdk._PolicyAnalyzerServicer = RoutedServicer
    return True
