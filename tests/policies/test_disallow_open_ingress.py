"""disallow-open-ingress: one change from a compliant stack per test, in every mode of the stack."""

import pytest
from fargate_policies.rules import disallow_open_ingress as rule
from fargate_policies.rules._common import ECS_SERVICE, SECURITY_GROUP, VPC, show
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

POLICY = rule.POLICY
T_SG = SECURITY_GROUP[0]
T_EC2_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
T_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LB_PORTS = show(rule.DEFAULT_LB_PORTS)


def tcp(port: int, *cidrs: str) -> dict:
    return {"protocol": "tcp", "fromPort": float(port), "toPort": float(port), "cidrBlocks": list(cidrs)}


@pytest.fixture
def stack(stack_builder):
    """A load balancer's group 'lb' open on 80 and 443; the tasks' group 'tasks' open to 'lb' and the VPC, used by
    ECS service 'web'."""
    b = stack_builder
    vpc = b.add(VPC[0], "vpc", {"cidrBlock": "10.0.0.0/16"}, id="vpc-1")
    lb_sg = b.add(T_SG, "lb", {"vpcId": b.ref(vpc), "ingress": [
        {**tcp(443, "0.0.0.0/0"), "ipv6CidrBlocks": ["::/0"]},
        tcp(80, "0.0.0.0/0"),
    ]}, id="sg-lb", vpcId=[vpc])
    tasks = b.add(T_SG, "tasks", {"vpcId": b.ref(vpc), "ingress": [
        {"protocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "securityGroups": [b.ref(lb_sg)]},
    ]}, id="sg-tasks", vpcId=[vpc], ingress=[lb_sg])
    b.add("aws:lb/loadBalancer:LoadBalancer", "alb", {"loadBalancerType": "application",
                                                     "securityGroups": [b.ref(lb_sg)]}, securityGroups=[lb_sg])
    b.add(T_INGRESS_RULE, "lb-https-v6", {"securityGroupId": b.ref(lb_sg), "ipProtocol": "tcp", "fromPort": 443.0,
                                          "toPort": 443.0, "cidrIpv6": "::/0"}, securityGroupId=[lb_sg])
    b.add(T_EC2_RULE, "tasks-from-vpc", {"type": "ingress", "securityGroupId": b.ref(tasks),
                                         **tcp(8080, "10.0.0.0/16")}, securityGroupId=[tasks])
    b.add(ECS_SERVICE[0], "web", {"launchType": "FARGATE", "networkConfiguration": {
        "subnets": ["subnet-private"], "securityGroups": [b.ref(tasks)], "assignPublicIp": False,
    }}, networkConfiguration=[tasks])
    return b


def use_groups(b, *groups) -> None:
    """Give service 'web' these security groups."""
    b["web"].props["networkConfiguration"]["securityGroups"] = [b.ref(g) for g in groups]
    b.depend(b["web"], "networkConfiguration", *groups)


def tcp_port(port: int) -> str:
    return rule.ONE_PORT.format(protocol="TCP", port=port)


def add_rule(b, name, group, props):
    return b.add(T_EC2_RULE, name, {"type": "ingress", "securityGroupId": b.ref(group), **props},
                 securityGroupId=[group])


def test_baseline_passes(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_ssh_open(stack, evaluate_stack):
    stack["tasks"].props["ingress"].append(tcp(22, "0.0.0.0/0"))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_SSH.format(prop="ingress[1].cidrBlocks", cidr=show("0.0.0.0/0"), what=tcp_port(22))
    assert outcome.violations == [(stack["tasks"].urn, expected)], str(outcome)


def test_ssh_open_on_a_load_balancer_group(stack, evaluate_stack):
    stack["lb"].props["ingress"].append({"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0,
                                         "ipv6CidrBlocks": ["::/0"]})
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_SSH.format(prop="ingress[2].ipv6CidrBlocks", cidr=show("::/0"), what=tcp_port(22))
    assert outcome.violations == [(stack["lb"].urn, expected)], str(outcome)


def test_rdp_open_by_ingress_rule(stack, evaluate_stack):
    b = stack
    rdp = b.add(T_INGRESS_RULE, "rdp", {"securityGroupId": b.ref(b["tasks"]), "ipProtocol": "tcp",
                                        "fromPort": 3389.0, "toPort": 3389.0, "cidrIpv4": "0.0.0.0/0"},
                securityGroupId=[b["tasks"]])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_RDP.format(prop="cidrIpv4", cidr=show("0.0.0.0/0"), what=tcp_port(3389))
    assert outcome.violations == [(rdp.urn, expected)], str(outcome)


def test_all_traffic_open(stack, evaluate_stack):
    b = stack
    everything = add_rule(b, "all", b["tasks"], {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0,
                                                  "cidrBlocks": ["0.0.0.0/0"]})
    outcome = evaluate_stack(POLICY, b.resources)
    fields = {"prop": "cidrBlocks", "cidr": show("0.0.0.0/0"), "what": rule.ALL_TRAFFIC}
    assert outcome.violations == [
        (everything.urn, rule.MSG_SSH.format(**fields)),
        (everything.urn, rule.MSG_RDP.format(**fields)),
    ], str(outcome)


def test_application_port_open(stack, evaluate_stack):
    stack["tasks"].props["ingress"].append(tcp(8080, "0.0.0.0/0"))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_OPEN.format(prop="ingress[1].cidrBlocks", cidr=show("0.0.0.0/0"), what=tcp_port(8080),
                                    lb_ports=LB_PORTS)
    assert outcome.violations == [(stack["tasks"].urn, expected)], str(outcome)


def test_icmp_open(stack, evaluate_stack):
    stack["tasks"].props["ingress"].append({"protocol": "icmp", "fromPort": -1.0, "toPort": -1.0,
                                            "cidrBlocks": ["0.0.0.0/0"]})
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_OPEN.format(prop="ingress[1].cidrBlocks", cidr=show("0.0.0.0/0"),
                                    what=rule.OTHER_PROTOCOL.format(protocol=show("icmp")), lb_ports=LB_PORTS)
    assert outcome.violations == [(stack["tasks"].urn, expected)], str(outcome)


def test_https_open_on_a_group_no_load_balancer_uses(stack, evaluate_stack):
    stack["tasks"].props["ingress"].append(tcp(443, "0.0.0.0/0"))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_NOT_LOAD_BALANCER.format(prop="ingress[1].cidrBlocks", cidr=show("0.0.0.0/0"),
                                                 what=tcp_port(443), group=rule.GROUP.format(name="tasks"),
                                                 lb_ports=LB_PORTS)
    assert outcome.violations == [(stack["tasks"].urn, expected)], str(outcome)


def test_https_rule_resource_on_a_group_no_load_balancer_uses(stack, evaluate_stack):
    b = stack
    https = add_rule(b, "tasks-https", b["tasks"], tcp(443, "0.0.0.0/0"))
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_NOT_LOAD_BALANCER.format(prop="cidrBlocks", cidr=show("0.0.0.0/0"), what=tcp_port(443),
                                                 group=rule.GROUP.format(name="tasks"), lb_ports=LB_PORTS)
    assert outcome.violations == [(https.urn, expected)], str(outcome)


def test_web_port_range_wider_than_80_and_443(stack, evaluate_stack):
    stack["lb"].props["ingress"][1] = {"protocol": "tcp", "fromPort": 80.0, "toPort": 443.0,
                                       "cidrBlocks": ["0.0.0.0/0"]}
    outcome = evaluate_stack(POLICY, stack.resources)
    what = rule.PORT_RANGE.format(protocol="TCP", low=80, high=443)
    expected = rule.MSG_OPEN.format(prop="ingress[1].cidrBlocks", cidr=show("0.0.0.0/0"), what=what, lb_ports=LB_PORTS)
    assert outcome.violations == [(stack["lb"].urn, expected)], str(outcome)


def test_configured_load_balancer_ports(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources, {"loadBalancerPorts": [443]})
    expected = rule.MSG_OPEN.format(prop="ingress[1].cidrBlocks", cidr=show("0.0.0.0/0"), what=tcp_port(80),
                                    lb_ports=show([443]))
    assert outcome.violations == [(stack["lb"].urn, expected)], str(outcome)


def test_alb_alias_token_counts_as_load_balancer(stack, evaluate_stack):
    b = stack
    alb = b["alb"]
    del b.by_name["alb"]
    b.add("aws:alb/loadBalancer:LoadBalancer", "alb2", dict(alb.props), **alb.property_dependencies)
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)


def test_security_group_from_outside_the_stack(stack, evaluate_stack):
    b = stack
    b["alb"].props["securityGroups"].append("sg-0ext")
    used = b.add(T_EC2_RULE, "ext-https", {"type": "ingress", "securityGroupId": "sg-0ext", **tcp(443, "0.0.0.0/0")})
    assert evaluate_stack(POLICY, b.resources).violations == []
    used.props["securityGroupId"] = "sg-0other"
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_NOT_LOAD_BALANCER.format(prop="cidrBlocks", cidr=show("0.0.0.0/0"), what=tcp_port(443),
                                                 group=show("sg-0other"), lb_ports=LB_PORTS)
    assert outcome.violations == [(used.urn, expected)], str(outcome)


def test_other_types_and_egress_ignored(stack, evaluate_stack):
    b = stack
    add_rule(b, "egress-all", b["tasks"], {"type": "egress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0,
                                           "cidrBlocks": ["0.0.0.0/0"]})
    b.add("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress-v4",
          {"securityGroupId": "sg-tasks", "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"})
    b.add("aws:ec2/networkAclRule:NetworkAclRule", "nacl", {"protocol": "-1", "cidrBlock": "0.0.0.0/0"})
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)


# ---------------------------------------------------------------------------
# Tasks accept traffic only from the load balancer's group.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("groups", [("lb",), ("tasks", "lb")])
def test_tasks_in_the_internet_facing_load_balancers_group(stack, evaluate_stack, groups):
    """The load balancer's group is open to the internet on 80 and 443: tasks in it are too."""
    use_groups(stack, *(stack[g] for g in groups))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_SHARES_PUBLIC_GROUP.format(group=rule.GROUP.format(name="lb"), lb="alb")
    assert outcome.violations == [(stack["web"].urn, expected)], str(outcome)


@pytest.mark.parametrize("internal", [False, "false", None])
def test_a_load_balancer_is_internet_facing_unless_internal(stack, evaluate_stack, internal):
    stack["alb"].props["internal"] = internal
    use_groups(stack, stack["lb"])
    outcome = evaluate_stack(POLICY, stack.resources)
    assert [at for at, _ in outcome.violations] == [stack["web"].urn], str(outcome)


def test_tasks_in_an_internal_load_balancers_group_open_to_the_internet(stack, evaluate_stack):
    stack["alb"].props["internal"] = True
    use_groups(stack, stack["lb"])
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_TASKS_OPEN.format(group=rule.GROUP.format(name="lb"), what=tcp_port(443),
                                          cidr=show("0.0.0.0/0"))
    assert outcome.violations == [(stack["web"].urn, expected)], str(outcome)


def test_tasks_in_an_internal_load_balancers_group_closed_to_the_internet_pass(stack, evaluate_stack):
    stack["alb"].props["internal"] = True
    stack["lb"].props["ingress"] = [tcp(443, "10.0.0.0/16")]
    del stack.by_name["lb-https-v6"]
    use_groups(stack, stack["lb"])
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_tasks_in_a_load_balancers_group_from_outside_the_stack(stack, evaluate_stack):
    b = stack
    b["alb"].props["securityGroups"].append("sg-0ext")
    b["web"].props["networkConfiguration"]["securityGroups"].append("sg-0ext")
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_SHARES_PUBLIC_GROUP.format(group=show("sg-0ext"), lb="alb")
    assert outcome.violations == [(b["web"].urn, expected)], str(outcome)


def test_task_groups_unknown_at_preview_are_left_to_the_engine_after_the_findings(node, evaluate_stack):
    """No dependency says where the service's groups come from: the rule reports what it can decide, then can't
    run."""
    open_group = node(T_SG, "open", {"ingress": [tcp(8080, "0.0.0.0/0")]})
    service = node(ECS_SERVICE[0], "web", {"networkConfiguration": {"securityGroups": [UNKNOWN_STRING_VALUE]}})
    outcome = evaluate_stack(POLICY, [open_group, service], record_unknown=True)
    expected = rule.MSG_OPEN.format(prop="ingress[0].cidrBlocks", cidr=show("0.0.0.0/0"), what=tcp_port(8080),
                                    lb_ports=LB_PORTS)
    assert outcome.violations == [(open_group.urn, expected)] and outcome.cannot_run, str(outcome)
