"""The checkov checks each rule claims (``checkov=(...)``) exist in the pinned checkov, and read what the rule reads.

The catalogue is ``tools/checkov_checks.json``, generated from the checkov that
``bench/requirements.txt`` pins (``tools/gen_checkov_catalogue.py``), so this
test needs no checkov.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fargate_policies import rules
from fargate_policies.tools import gen_checkov_catalogue

from stacks.exports.tfplan import terraform_type

POLICIES = [p for p in rules.ALL_POLICIES if p.checkov]
VERSION, CHECKS = gen_checkov_catalogue.load()
BENCH_REQUIREMENTS = Path(__file__).resolve().parents[2] / "bench" / "requirements.txt"


def test_catalogue_is_of_the_pinned_checkov():
    pins = re.findall(r"^checkov==(\S+)$", BENCH_REQUIREMENTS.read_text(encoding="utf-8"), re.MULTILINE)
    assert pins == [VERSION], (
        f"bench/requirements.txt pins checkov {pins}, the catalogue is of {VERSION}: run "
        "tools/gen_checkov_catalogue.py with the benchmark's checkov"
    )
    assert len(CHECKS) > 400 and all(gen_checkov_catalogue.AWS_CHECK_ID.fullmatch(i) for i in CHECKS)


@pytest.mark.parametrize("policy", POLICIES, ids=[p.name for p in POLICIES])
def test_every_claimed_check_exists(policy):
    unknown = [check_id for check_id in policy.checkov if check_id not in CHECKS]
    assert not unknown, f"{policy.name}: not a check of checkov {VERSION}: {unknown}"


@pytest.mark.parametrize("policy", POLICIES, ids=[p.name for p in POLICIES])
def test_every_claimed_check_reads_a_type_the_rule_reads(policy):
    ours = {terraform_type(token) for token in policy.resource_types} - {None}
    for check_id in policy.checkov:
        theirs = set(CHECKS.get(check_id, {}).get("resources", ()))
        assert ours & theirs, (
            f"{policy.name}: {check_id} ({CHECKS.get(check_id, {}).get('name')}) reads {sorted(theirs)}, "
            f"the rule reads {sorted(ours)}"
        )


def test_render_and_load_round_trip(tmp_path):
    checks = {"CKV_AWS_10": {"name": "ten", "resources": ["aws_b"]}, "CKV_AWS_9": {"name": "nine", "resources": []},
              "CKV2_AWS_1": {"name": "graph", "resources": ["aws_a", "aws_b"]}}
    path = tmp_path / "checks.json"
    text = gen_checkov_catalogue.render("1.2.3", checks)
    path.write_text(text, encoding="utf-8")
    assert gen_checkov_catalogue.load(path) == ("1.2.3", checks)
    # One check per line, in numeric order within each prefix, so a checkov upgrade reads as a short diff.
    assert [line.split('"')[1] for line in text.splitlines()[1:-1]] == ["CKV2_AWS_1", "CKV_AWS_9", "CKV_AWS_10"]
