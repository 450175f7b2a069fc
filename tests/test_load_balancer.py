"""Unit tests of components/load_balancer.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.load_balancer import LoadBalancer, LoadBalancerArgs
from tests.harness import Built, assert_children_parented_and_named, build_component

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
OUTPUTS = ("load_balancer_arn", "arn_suffix", "dns_name", "url", "security_group_id", "listener_arn",
           "access_log_bucket")
LISTENER = "aws:lb/listener:Listener"


def build(mocks: Any, **overrides: Any) -> Built:
    args = LoadBalancerArgs(**{"vpc_id": "vpc-0123456789abcdef0", "public_subnet_ids": ["subnet-01", "subnet-02"],
                               "certificate_arn": CERT, **overrides})
    return build_component(mocks, "fargate-platform:index:LoadBalancer",
                           lambda opts: LoadBalancer("edge", args, opts=opts), OUTPUTS)


def test_children_are_parented_and_named(pulumi_mocks):
    assert_children_parented_and_named(build(pulumi_mocks), "edge")


def test_alb_is_hardened(pulumi_mocks):
    built = build(pulumi_mocks, deletion_protection=True)
    alb = built.one("aws:lb/loadBalancer:LoadBalancer", "edge-alb")
    assert alb.inputs["internal"] is False, alb.urn
    assert alb.inputs["dropInvalidHeaderFields"] is True, alb.urn
    assert alb.inputs["enableDeletionProtection"] is True, alb.urn
    assert alb.inputs["desyncMitigationMode"] == "defensive", alb.urn
    assert alb.inputs["subnets"] == ["subnet-01", "subnet-02"], alb.urn
    logs = alb.inputs["accessLogs"]
    assert logs["enabled"] is True and logs["bucket"] == built.outputs["access_log_bucket"], alb.urn
    assert built.outputs["url"].startswith("https://")


def test_security_group_allows_only_80_and_443_from_configured_cidrs(pulumi_mocks):
    sg = build(pulumi_mocks, ingress_cidrs=("203.0.113.0/24",)).one("aws:ec2/securityGroup:SecurityGroup", "edge-sg")
    ports = sorted((r["fromPort"], r["toPort"]) for r in sg.inputs["ingress"])
    assert ports == [(80, 80), (443, 443)], sg.urn
    for rule in sg.inputs["ingress"]:
        assert rule["cidrBlocks"] == ["203.0.113.0/24"], sg.urn
    assert not sg.inputs.get("egress"), f"{sg.urn}: open egress; services add their own rules"


def test_https_listener_uses_tls13_and_http_only_redirects(pulumi_mocks):
    built = build(pulumi_mocks)
    https = built.one(LISTENER, "edge-https")
    assert https.inputs["protocol"] == "HTTPS" and https.inputs["port"] == 443, https.urn
    assert https.inputs["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-"), https.urn
    assert https.inputs["certificateArn"] == CERT, https.urn
    http = built.one(LISTENER, "edge-http")
    actions = http.inputs["defaultActions"]
    assert [a["type"] for a in actions] == ["redirect"], http.urn
    assert actions[0]["redirect"]["protocol"] == "HTTPS", http.urn
    assert built.outputs["listener_arn"] == https.outputs["arn"], "services must attach to the HTTPS listener"


def test_http_only_needs_explicit_permission(pulumi_mocks):
    with pytest.raises(ValueError, match="allow_http_only"):
        build(pulumi_mocks, certificate_arn="")


def test_http_only_when_allowed(pulumi_mocks):
    built = build(pulumi_mocks, certificate_arn="", allow_http_only=True)
    listeners = built.of_type(LISTENER)
    assert [listener.name for listener in listeners] == ["edge-http"]
    sg = built.one("aws:ec2/securityGroup:SecurityGroup", "edge-sg")
    assert [r["fromPort"] for r in sg.inputs["ingress"]] == [80], sg.urn
    assert built.outputs["url"].startswith("http://")


def test_access_log_bucket_is_private_encrypted_tls_only_and_expiring(pulumi_mocks):
    built = build(pulumi_mocks, access_log_expiration_days=30, protect=True)
    bucket = built.one("aws:s3/bucket:Bucket", "edge-logs")
    assert bucket.opts.protect is True, bucket.urn
    block = built.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "edge-logs-public-access")
    for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[key] is True, f"{block.urn}: {key}"
    sse = built.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                    "edge-logs-encryption")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256", sse.urn
    lifecycle = built.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "edge-logs-lifecycle")
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 30, lifecycle.urn
    policy = json.loads(built.one("aws:s3/bucketPolicy:BucketPolicy", "edge-logs-policy").inputs["policy"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, "bucket accepts plain HTTP"


def test_test_listeners_admit_only_the_test_cidrs(pulumi_mocks):
    built = build(pulumi_mocks, ingress_cidrs=("0.0.0.0/0",), test_listener_ports=(8443, 8443, 9443),
                  test_ingress_cidrs=("198.51.100.0/24",))
    sg = built.one("aws:ec2/securityGroup:SecurityGroup", "edge-sg")
    test_rules = [r for r in sg.inputs["ingress"] if r["fromPort"] not in (80, 443)]
    assert [(r["fromPort"], r["toPort"], r["cidrBlocks"]) for r in test_rules] == [
        (8443, 8443, ["198.51.100.0/24"]), (9443, 9443, ["198.51.100.0/24"])], sg.urn
    alb_arn = built.outputs["load_balancer_arn"]
    for port in (8443, 9443):
        listener = built.one(LISTENER, f"edge-test-{port}")
        assert (listener.inputs["port"], listener.inputs["protocol"]) == (port, "HTTPS"), listener.urn
        assert listener.inputs["loadBalancerArn"] == alb_arn, listener.urn
        assert listener.inputs["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-"), listener.urn
        assert [a["type"] for a in listener.inputs["defaultActions"]] == ["fixed-response"], listener.urn


def test_test_listeners_need_test_cidrs(pulumi_mocks):
    with pytest.raises(ValueError, match="test_ingress_cidrs"):
        build(pulumi_mocks, test_listener_ports=(8443,))
