"""The internet-facing Application Load Balancer, its listeners and its access-log bucket."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.tagging import tagged


@dataclass(frozen=True)
class LoadBalancerArgs:
    """Inputs of :class:`LoadBalancer`."""

    vpc_id: pulumi.Input[str]
    """VPC the load balancer and its security group live in."""
    public_subnet_ids: pulumi.Input[Sequence[str]]
    """Public subnets, one per zone, the load balancer spans."""
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """CIDRs allowed to reach ports 80 and 443."""
    certificate_arn: str = ""
    """ACM certificate of the HTTPS listener; empty means HTTP only, which needs ``allow_http_only``."""
    allow_http_only: bool = False
    """Serve plain HTTP when there is no certificate; refused otherwise."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """ELB security policy of the HTTPS listener."""
    deletion_protection: bool = True
    """Refuse deletion of the load balancer through the API."""
    access_log_expiration_days: int = 90
    """Days after which access logs expire from the bucket."""
    idle_timeout: int = 60
    """Idle connection timeout (seconds)."""
    protect: bool = True
    """Protect the access-log bucket from deletion."""
    test_listener_ports: Sequence[int] = ()
    """Ports of test listeners, where releases are tried before production traffic moves (none by default)."""
    test_ingress_cidrs: Sequence[str] = ()
    """CIDRs allowed to reach the test listener ports; required with ``test_listener_ports``, never the internet."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


class LoadBalancer(pulumi.ComponentResource):
    """An ALB in the public subnets, HTTPS-first, with access logs.

    Children:
    - ``{name}-sg``: security group admitting only 80/443 from the configured CIDRs; egress rules are added by
      each service, to its own group only.
    - ``{name}-logs`` (bucket) with ``-logs-encryption``, ``-logs-public-access``, ``-logs-ownership``,
      ``-logs-lifecycle`` and ``-logs-policy``: encrypted, private, TLS-only, expiring access logs.
    - ``{name}-alb``: the load balancer (invalid headers dropped, defensive desync mitigation).
    - ``{name}-https``: the TLS 1.3 listener (when a certificate is given).
    - ``{name}-http``: port 80, redirecting to HTTPS (or serving, when HTTP-only is explicitly allowed).
    - ``{name}-test-<port>``: one test listener per test port (HTTPS with a certificate), reachable from the test
      CIDRs only; services attach their test rules to it.
    """

    load_balancer_arn: pulumi.Output[str]
    """ARN of the load balancer."""
    arn_suffix: pulumi.Output[str]
    """ARN suffix, used by CloudWatch metrics and request-count scaling."""
    dns_name: pulumi.Output[str]
    """DNS name of the load balancer."""
    url: pulumi.Output[str]
    """Base URL clients use (https:// when a certificate is configured)."""
    security_group_id: pulumi.Output[str]
    """Security group of the load balancer; services admit traffic from it only."""
    listener_arn: pulumi.Output[str]
    """Listener that services attach their routing rules to."""
    test_listener_arns: dict[int, pulumi.Output[str]]
    """Test listener by port, where services attach their test rules."""
    access_log_bucket: pulumi.Output[str]
    """Bucket holding the access logs."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fargate-platform:index:LoadBalancer", name, None, opts)
        if not args.certificate_arn and not args.allow_http_only:
            raise ValueError("LoadBalancer needs certificate_arn, or allow_http_only=True for an HTTP-only ALB")
        if args.test_listener_ports and not args.test_ingress_cidrs:
            raise ValueError("LoadBalancer needs test_ingress_cidrs with test_listener_ports")
        child = pulumi.ResourceOptions(parent=self)
        https = bool(args.certificate_arn)
        ports = (80, 443) if https else (80,)

        # Clients reach the ALB on 80/443 from the configured CIDRs only.
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Load balancer: HTTP(S) from the configured CIDRs",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=port, to_port=port,
                                                 cidr_blocks=list(args.ingress_cidrs), description=f"port {port}")
                for port in ports
            ] + [
                # Test listeners: only the people and systems that try a release before it takes traffic.
                aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=port, to_port=port,
                                                 cidr_blocks=list(args.test_ingress_cidrs),
                                                 description=f"test port {port}")
                for port in sorted(set(args.test_listener_ports))
            ],
            tags=tagged(args.tags),
            opts=child,
        )
        logs = self._access_log_bucket(name, args)

        # The load balancer: public, spread over the public subnets, hardened against header smuggling.
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            security_groups=[sg.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.deletion_protection,
            idle_timeout=args.idle_timeout,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.bucket.bucket, enabled=True, prefix=name),
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs.policy]),
        )
        not_found = aws.lb.ListenerDefaultActionArgs(
            type="fixed-response",
            fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(content_type="text/plain",
                                                                         message_body="Not Found",
                                                                         status_code="404"),
        )
        if https:
            # TLS 1.3 termination; unmatched paths get a 404 rather than reaching a service.
            routed = aws.lb.Listener(f"{name}-https", load_balancer_arn=alb.arn, port=443, protocol="HTTPS",
                                     ssl_policy=args.ssl_policy, certificate_arn=args.certificate_arn,
                                     default_actions=[not_found], tags=tagged(args.tags), opts=child)
            # Port 80 exists only to send clients to HTTPS.
            aws.lb.Listener(
                f"{name}-http", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
                default_actions=[aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443",
                                                                      status_code="HTTP_301"),
                )],
                tags=tagged(args.tags),
                opts=child,
            )
        else:
            # HTTP-only, explicitly allowed by config (e.g. a dev stack without a certificate).
            routed = aws.lb.Listener(f"{name}-http", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
                                     default_actions=[not_found], tags=tagged(args.tags), opts=child)

        # Where a release is tried before production traffic moves; unmatched paths get a 404 here too.
        tests = {port: aws.lb.Listener(
            f"{name}-test-{port}", load_balancer_arn=alb.arn, port=port, protocol="HTTPS" if https else "HTTP",
            ssl_policy=args.ssl_policy if https else None, certificate_arn=args.certificate_arn or None,
            default_actions=[not_found],
            tags=tagged(args.tags), opts=child) for port in sorted(set(args.test_listener_ports))}

        self.load_balancer_arn = alb.arn
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.url = pulumi.Output.concat("https://" if https else "http://", alb.dns_name)
        self.security_group_id = sg.id
        self.listener_arn = routed.arn
        self.test_listener_arns = {port: listener.arn for port, listener in tests.items()}
        self.access_log_bucket = logs.bucket.bucket
        self.register_outputs({
            "load_balancer_arn": self.load_balancer_arn,
            "arn_suffix": self.arn_suffix,
            "dns_name": self.dns_name,
            "url": self.url,
            "security_group_id": self.security_group_id,
            "listener_arn": self.listener_arn,
            "test_listener_arns": {str(port): arn for port, arn in self.test_listener_arns.items()},
            "access_log_bucket": self.access_log_bucket,
        })

    def _access_log_bucket(self, name: str, args: LoadBalancerArgs) -> _LogBucket:
        child = pulumi.ResourceOptions(parent=self)
        # Access logs: evidence for incident response, kept for a bounded time.
        bucket = aws.s3.Bucket(f"{name}-logs", force_destroy=not args.protect,
                               tags=tagged(args.tags),
                               opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        # ALB log delivery supports SSE-S3 only; every object is encrypted at rest.
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-logs-encryption",
            bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"),
            )],
            opts=child,
        )
        # No public ACLs or policies, ever.
        aws.s3.BucketPublicAccessBlock(f"{name}-logs-public-access", bucket=bucket.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=True, opts=child)
        # The bucket owner owns every object; ACLs are disabled.
        aws.s3.BucketOwnershipControls(
            f"{name}-logs-ownership", bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child)
        # Logs expire, so storage cost stays bounded.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs-lifecycle",
            bucket=bucket.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=args.access_log_expiration_days),
                abort_incomplete_multipart_upload=aws.s3.
                BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=7),
            )],
            opts=child,
        )
        elb_account = aws.elb.get_service_account()
        # Only the regional ELB log-delivery account may write, and only over TLS.
        policy = aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "AllowElbLogDelivery",
                        "Effect": "Allow",
                        "Principal": {"AWS": elb_account.arn},
                        "Action": "s3:PutObject",
                        "Resource": pulumi.Output.concat(bucket.arn, "/", name, "/AWSLogs/*"),
                    },
                ],
            }),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
        )
        return _LogBucket(bucket, policy)


@dataclass(frozen=True)
class _LogBucket:
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
