"""Elastic Load Balancing: target groups, listeners, listener rules and load balancers.

Inputs the provider sets as attributes (``Modify*Attributes``) are gathered under :data:`ATTRIBUTES`, and
inputs that only another call takes under that call's name; each converter then makes those calls too. Their
ARNs are placeholders: the model checks them as plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.aws_requests.mapping import (
    REGION,
    Convert,
    Fields,
    Request,
    Skip,
    UnmappedInput,
    autoname,
    capitalized,
    each,
    listed,
    request,
    single,
    structure,
    tag_list,
    unmapped,
)

ATTRIBUTES = "Attributes"
_PLACEHOLDER_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:{}/0123456789abcdef"
_TAGS_ELB = ("Tags", tag_list("Key", "Value"))


def _attribute_text(value: Any) -> Any:
    """An attribute value as the provider writes it: ``true``/``false`` and whole numbers as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else value


def attribute(key: str) -> tuple[str, Convert]:
    """An input the provider sets as the attribute ``key``."""
    return ATTRIBUTES, lambda value, path: {key: _attribute_text(value)}


def attributes(keys: Mapping[str, Any]) -> Convert:
    """An input block whose members are each an attribute (``keys``: member → attribute key, a nested table
    for a nested block, or a Skip for a member the provider does not send). Unknown members raise."""
    def convert(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise UnmappedInput(f"{path}: an input block was expected, not {type(value).__name__}")
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name not in keys:
                raise unmapped(f"{path}.{name}")
            key = keys[name]
            if item is None or isinstance(key, Skip):
                continue
            out.update(attributes(key)(item, f"{path}.{name}") if isinstance(key, Mapping)
                       else {key: _attribute_text(item)})
        return out
    return convert


def _attribute_requests(operation: str, arn_field: str, arn: str, found: Mapping[str, Any]) -> list[Request]:
    if not found:
        return []
    pairs = [{"Key": key, "Value": value} for key, value in found.items()]
    return [request("elbv2", operation, {arn_field: arn, "Attributes": pairs})]


_ACTION = structure({
    **capitalized("type", "order", "targetGroupArn"),
    "authenticateCognito": ("AuthenticateCognitoConfig", structure(capitalized(
        "userPoolArn", "userPoolClientId", "userPoolDomain", "authenticationRequestExtraParams",
        "onUnauthenticatedRequest", "scope", "sessionCookieName", "sessionTimeout"))),
    "authenticateOidc": ("AuthenticateOidcConfig", structure(capitalized(
        "authorizationEndpoint", "clientId", "clientSecret", "issuer", "tokenEndpoint", "userInfoEndpoint",
        "authenticationRequestExtraParams", "onUnauthenticatedRequest", "scope", "sessionCookieName",
        "sessionTimeout"))),
    "fixedResponse": ("FixedResponseConfig", structure(capitalized("contentType", "messageBody", "statusCode"))),
    "forward": ("ForwardConfig", structure({
        "targetGroups": ("TargetGroups", each(structure({"arn": "TargetGroupArn", "weight": "Weight"}))),
        "stickiness": ("TargetGroupStickinessConfig", structure({"duration": "DurationSeconds",
                                                                 "enabled": "Enabled"})),
    })),
    "jwtValidation": ("JwtValidationConfig", structure({
        **capitalized("issuer", "jwksEndpoint"),
        "additionalClaims": ("AdditionalClaims", each(structure(capitalized("format", "name", "values")))),
    })),
    "redirect": ("RedirectConfig", structure(capitalized("statusCode", "host", "path", "port", "protocol", "query"))),
})

_LISTENER_HEADER_ATTRIBUTES = {
    "routingHttpRequestXAmznMtlsClientcertHeaderName": "routing.http.request.x_amzn_mtls_clientcert.header_name",
    "routingHttpRequestXAmznMtlsClientcertIssuerHeaderName":
        "routing.http.request.x_amzn_mtls_clientcert_issuer.header_name",
    "routingHttpRequestXAmznMtlsClientcertLeafHeaderName":
        "routing.http.request.x_amzn_mtls_clientcert_leaf.header_name",
    "routingHttpRequestXAmznMtlsClientcertSerialNumberHeaderName":
        "routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name",
    "routingHttpRequestXAmznMtlsClientcertSubjectHeaderName":
        "routing.http.request.x_amzn_mtls_clientcert_subject.header_name",
    "routingHttpRequestXAmznMtlsClientcertValidityHeaderName":
        "routing.http.request.x_amzn_mtls_clientcert_validity.header_name",
    "routingHttpRequestXAmznTlsCipherSuiteHeaderName": "routing.http.request.x_amzn_tls_cipher_suite.header_name",
    "routingHttpRequestXAmznTlsVersionHeaderName": "routing.http.request.x_amzn_tls_version.header_name",
    "routingHttpResponseAccessControlAllowCredentialsHeaderValue":
        "routing.http.response.access_control_allow_credentials.header_value",
    "routingHttpResponseAccessControlAllowHeadersHeaderValue":
        "routing.http.response.access_control_allow_headers.header_value",
    "routingHttpResponseAccessControlAllowMethodsHeaderValue":
        "routing.http.response.access_control_allow_methods.header_value",
    "routingHttpResponseAccessControlAllowOriginHeaderValue":
        "routing.http.response.access_control_allow_origin.header_value",
    "routingHttpResponseAccessControlExposeHeadersHeaderValue":
        "routing.http.response.access_control_expose_headers.header_value",
    "routingHttpResponseAccessControlMaxAgeHeaderValue": "routing.http.response.access_control_max_age.header_value",
    "routingHttpResponseContentSecurityPolicyHeaderValue":
        "routing.http.response.content_security_policy.header_value",
    "routingHttpResponseServerEnabled": "routing.http.response.server.enabled",
    "routingHttpResponseStrictTransportSecurityHeaderValue":
        "routing.http.response.strict_transport_security.header_value",
    "routingHttpResponseXContentTypeOptionsHeaderValue": "routing.http.response.x_content_type_options.header_value",
    "routingHttpResponseXFrameOptionsHeaderValue": "routing.http.response.x_frame_options.header_value",
    "tcpIdleTimeoutSeconds": "tcp.idle_timeout.seconds",
}

LISTENER: Fields = {
    **capitalized("loadBalancerArn", "port", "protocol", "sslPolicy"),
    "certificateArn": ("Certificates", lambda value, path: [{"CertificateArn": value}]),
    "alpnPolicy": ("AlpnPolicy", lambda value, path: [value]),
    "defaultActions": ("DefaultActions", each(_ACTION)),
    "mutualAuthentication": ("MutualAuthentication", structure(capitalized(
        "mode", "advertiseTrustStoreCaNames", "ignoreClientCertificateExpiry", "trustStoreArn"))),
    **{name: attribute(key) for name, key in _LISTENER_HEADER_ATTRIBUTES.items()},
    "tags": _TAGS_ELB,
    "region": REGION,
}


def create_listener(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.lb.Listener`` → ``CreateListener``, and ``ModifyListenerAttributes`` for the header and timeout
    inputs."""
    params = structure(LISTENER)(inputs, name)
    found = params.pop(ATTRIBUTES, {})
    arn = _PLACEHOLDER_ARN.format(f"listener/app/{name}/0123456789abcdef")
    return [request("elbv2", "CreateListener", params),
            *_attribute_requests("ModifyListenerAttributes", "ListenerArn", arn, found)]


def _values(*names: str) -> Convert:
    return structure(capitalized(*names))


_CONDITIONS: dict[str, tuple[str, str, Convert]] = {
    # Pulumi's block → the API's Field, its config member, and how the block converts.
    "hostHeader": ("host-header", "HostHeaderConfig", _values("values", "regexValues")),
    "httpHeader": ("http-header", "HttpHeaderConfig", _values("httpHeaderName", "values", "regexValues")),
    "httpRequestMethod": ("http-request-method", "HttpRequestMethodConfig", _values("values")),
    "pathPattern": ("path-pattern", "PathPatternConfig", _values("values", "regexValues")),
    "queryStrings": ("query-string", "QueryStringConfig",
                     lambda value, path: {"Values": each(_values("key", "value"))(value, path)}),
    "sourceIp": ("source-ip", "SourceIpConfig", _values("values", "ipAddressType")),
}


def _condition(value: Any, path: str) -> Any:
    """A listener rule condition: Pulumi names the block, AWS names the field and the block's config."""
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for block, item in value.items():
        if block not in _CONDITIONS:
            raise unmapped(f"{path}.{block}")
        if item is not None:
            field, member, convert = _CONDITIONS[block]
            out.update({"Field": field, member: convert(item, f"{path}.{block}")})
    return out


_REWRITES = structure({"rewrite": ("Rewrites", listed(_values("regex", "replace")))})

LISTENER_RULE: Fields = {
    **capitalized("listenerArn", "priority"),
    "actions": ("Actions", each(_ACTION)),
    "conditions": ("Conditions", each(_condition)),
    "transforms": ("Transforms", each(structure({
        "type": "Type",
        "hostHeaderRewriteConfig": ("HostHeaderRewriteConfig", _REWRITES),
        "urlRewriteConfig": ("UrlRewriteConfig", _REWRITES),
    }))),
    "tags": _TAGS_ELB,
    "region": REGION,
}


def create_rule(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.lb.ListenerRule`` → ``CreateRule``. A rule without ``priority`` fails the check: the provider
    would pick the next free one, which only AWS knows."""
    return [request("elbv2", "CreateRule", structure(LISTENER_RULE)(inputs, name))]


def _stickiness(value: Any, path: str) -> Any:
    """Target group stickiness: the cookie's duration is an attribute of the stickiness type in use."""
    kind = value.get("type") if isinstance(value, Mapping) else None
    unused = Skip(f"not sent for stickiness of type {kind!r}")
    return attributes({
        "type": "stickiness.type",
        "enabled": "stickiness.enabled",
        "cookieDuration": f"stickiness.{kind}.duration_seconds" if kind in ("lb_cookie", "app_cookie") else unused,
        "cookieName": "stickiness.app_cookie.cookie_name" if kind == "app_cookie" else unused,
    })(value, path)


_MINIMUM_HEALTHY = {"minimumHealthyTargetsCount": "minimum_healthy_targets.count",
                    "minimumHealthyTargetsPercentage": "minimum_healthy_targets.percentage"}

TARGET_GROUP: Fields = {
    **capitalized("name", "port", "protocol", "protocolVersion", "vpcId", "targetType", "ipAddressType",
                  "targetControlPort"),
    # Pulumi nests the health check; AWS takes its members at the top of the request.
    "healthCheck": ("HealthCheck", structure({
        "enabled": "HealthCheckEnabled",
        "healthyThreshold": "HealthyThresholdCount",
        "interval": "HealthCheckIntervalSeconds",
        "matcher": "Matcher.HttpCode",
        "path": "HealthCheckPath",
        "port": "HealthCheckPort",
        "protocol": "HealthCheckProtocol",
        "timeout": "HealthCheckTimeoutSeconds",
        "unhealthyThreshold": "UnhealthyThresholdCount",
    })),
    "connectionTermination": attribute("deregistration_delay.connection_termination.enabled"),
    "deregistrationDelay": attribute("deregistration_delay.timeout_seconds"),
    "lambdaMultiValueHeadersEnabled": attribute("lambda.multi_value_headers.enabled"),
    "loadBalancingAlgorithmType": attribute("load_balancing.algorithm.type"),
    "loadBalancingAnomalyMitigation": attribute("load_balancing.algorithm.anomaly_mitigation"),
    "loadBalancingCrossZoneEnabled": attribute("load_balancing.cross_zone.enabled"),
    "preserveClientIp": attribute("preserve_client_ip.enabled"),
    "proxyProtocolV2": attribute("proxy_protocol_v2.enabled"),
    "slowStart": attribute("slow_start.duration_seconds"),
    "stickiness": (ATTRIBUTES, _stickiness),
    "targetFailovers": (ATTRIBUTES, single(attributes({"onDeregistration": "target_failover.on_deregistration",
                                                        "onUnhealthy": "target_failover.on_unhealthy"}))),
    "targetGroupHealth": (ATTRIBUTES, attributes({
        "dnsFailover": {k: f"target_group_health.dns_failover.{v}" for k, v in _MINIMUM_HEALTHY.items()},
        "unhealthyStateRouting": {k: f"target_group_health.unhealthy_state_routing.{v}"
                                  for k, v in _MINIMUM_HEALTHY.items()},
    })),
    "targetHealthStates": (ATTRIBUTES, single(attributes({
        "enableUnhealthyConnectionTermination": "target_health_state.unhealthy.connection_termination.enabled",
        "unhealthyDrainingInterval": "target_health_state.unhealthy.draining_interval_seconds",
    }))),
    "tags": _TAGS_ELB,
    "region": REGION,
    "namePrefix": Skip("the provider makes Name from it (Name is then the stand-in autoname)"),
}


def create_target_group(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.lb.TargetGroup`` → ``CreateTargetGroup``, and ``ModifyTargetGroupAttributes`` for the inputs
    AWS keeps as attributes."""
    params = structure(TARGET_GROUP)(inputs, name)
    found = params.pop(ATTRIBUTES, {})
    params.update(params.pop("HealthCheck", {}))
    if params.get("ProtocolVersion") == "GRPC" and "Matcher" in params:
        params["Matcher"] = {"GrpcCode": params["Matcher"]["HttpCode"]}
    params.setdefault("Name", autoname(name))
    arn = _PLACEHOLDER_ARN.format(f"targetgroup/{params['Name']}")
    return [request("elbv2", "CreateTargetGroup", params),
            *_attribute_requests("ModifyTargetGroupAttributes", "TargetGroupArn", arn, found)]


def _s3_logs(kind: str) -> tuple[str, Convert]:
    return ATTRIBUTES, attributes({member: f"{kind}.s3.{member}" for member in ("bucket", "enabled", "prefix")})


LOAD_BALANCER: Fields = {
    **capitalized("name", "subnets", "securityGroups", "ipAddressType", "customerOwnedIpv4Pool",
                  "enablePrefixForIpv6SourceNat"),
    "loadBalancerType": "Type",
    "internal": ("Scheme", lambda value, path: ("internal" if value else "internet-facing")
                 if isinstance(value, bool) else value),
    "subnetMappings": ("SubnetMappings", each(structure({
        **capitalized("subnetId", "allocationId"),
        "privateIpv4Address": "PrivateIPv4Address",
        "ipv6Address": "IPv6Address",
        "outpostId": Skip("AWS reports the subnet's outpost; the provider never sends it"),
    }))),
    "ipamPools": ("IpamPools", structure(capitalized("ipv4IpamPoolId"))),
    "accessLogs": _s3_logs("access_logs"),
    "connectionLogs": _s3_logs("connection_logs"),
    "healthCheckLogs": _s3_logs("health_check_logs"),
    "clientKeepAlive": attribute("client_keep_alive.seconds"),
    "desyncMitigationMode": attribute("routing.http.desync_mitigation_mode"),
    "dnsRecordClientRoutingPolicy": attribute("dns_record.client_routing_policy"),
    "dropInvalidHeaderFields": attribute("routing.http.drop_invalid_header_fields.enabled"),
    "enableCrossZoneLoadBalancing": attribute("load_balancing.cross_zone.enabled"),
    "enableDeletionProtection": attribute("deletion_protection.enabled"),
    "enableHttp2": attribute("routing.http2.enabled"),
    "enableTlsVersionAndCipherSuiteHeaders": attribute("routing.http.x_amzn_tls_version_and_cipher_suite.enabled"),
    "enableWafFailOpen": attribute("waf.fail_open.enabled"),
    "enableXffClientPort": attribute("routing.http.xff_client_port.enabled"),
    "enableZonalShift": attribute("zonal_shift.config.enabled"),
    "idleTimeout": attribute("idle_timeout.timeout_seconds"),
    "preserveHostHeader": attribute("routing.http.preserve_host_header.enabled"),
    "secondaryIpsAutoAssignedPerSubnet": attribute("secondary_ips.auto_assigned.per_subnet"),
    "xffHeaderProcessingMode": attribute("routing.http.xff_header_processing.mode"),
    # Set through calls of their own.
    "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic":
        "SetSecurityGroups.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic",
    "minimumLoadBalancerCapacity": ("ModifyCapacityReservation.MinimumLoadBalancerCapacity",
                                    structure(capitalized("capacityUnits"))),
    "tags": _TAGS_ELB,
    "region": REGION,
    "namePrefix": Skip("the provider makes Name from it (Name is then the stand-in autoname)"),
}


def create_load_balancer(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.lb.LoadBalancer`` → ``CreateLoadBalancer``, ``ModifyLoadBalancerAttributes`` for the inputs AWS
    keeps as attributes, and ``SetSecurityGroups`` / ``ModifyCapacityReservation`` for the two inputs
    only those calls take."""
    params = structure(LOAD_BALANCER)(inputs, name)
    found = params.pop(ATTRIBUTES, {})
    security = params.pop("SetSecurityGroups", None)
    capacity = params.pop("ModifyCapacityReservation", None)
    params.setdefault("Name", autoname(name))
    arn = _PLACEHOLDER_ARN.format(f"loadbalancer/app/{params['Name']}")
    requests = [request("elbv2", "CreateLoadBalancer", params),
                *_attribute_requests("ModifyLoadBalancerAttributes", "LoadBalancerArn", arn, found)]
    if security is not None:
        requests.append(request("elbv2", "SetSecurityGroups", {
            "LoadBalancerArn": arn, "SecurityGroups": params.get("SecurityGroups", []), **security}))
    if capacity is not None:
        requests.append(request("elbv2", "ModifyCapacityReservation", {"LoadBalancerArn": arn, **capacity}))
    return requests
