"""`make package`: the prod stage's SAM template holds what operators rely on, and cfn-lint passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.package import FUNCTIONS, chalice_config, grace_problems, main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert main(["--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def template(built) -> dict:
    return json.loads((built / "sam.json").read_text())


def resources_of(template: dict, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_package_has_a_template_and_a_zip(built):
    assert (built / "deployment.zip").stat().st_size > 0


def test_tables_are_on_demand_recoverable_encrypted_and_protected(template):
    tables = resources_of(template, "AWS::DynamoDB::Table")
    assert {t["Properties"]["TableName"] for t in tables.values()} >= {"voting-prod-contests", "voting-prod-votes"}
    for table in tables.values():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"] == {"SSEEnabled": True}
        assert properties["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"


def test_every_function_has_timeout_memory_reserved_concurrency_and_log_retention(template):
    functions = resources_of(template, "AWS::Serverless::Function")
    assert set(FUNCTIONS) <= set(functions)
    groups = resources_of(template, "AWS::Logs::LogGroup")
    for name, function in functions.items():
        properties = function["Properties"]
        assert properties["Timeout"] and properties["MemorySize"] and properties["ReservedConcurrentExecutions"]
        assert groups[f"{name}LogGroup"]["Properties"]["RetentionInDays"] > 0


def test_schedules_are_in_the_template(template):
    functions = resources_of(template, "AWS::Serverless::Function").values()
    schedules = {event["Properties"]["Schedule"] for function in functions
                 for event in function["Properties"].get("Events", {}).values() if event["Type"] == "Schedule"}
    assert schedules == {"rate(15 minutes)", "rate(1 minute)"}


def test_policies_name_only_actions_and_resources_without_wildcards(template):
    for role in resources_of(template, "AWS::IAM::Role").values():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                assert all("*" not in action for action in statement["Action"])
                assert statement["Resource"] != "*" and "*" not in statement["Resource"]


def test_only_the_api_can_read_the_secret(template):
    readers = [name for name, role in resources_of(template, "AWS::IAM::Role").items()
               if "ssm:GetParameter" in json.dumps(role)]
    assert sorted(readers) == ["AdminSessionRole", "ApiHandlerRole"]  # the API and its admin authorizer


def test_cfn_lint_passes(built):
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(built / "sam.json")],  # noqa: S603
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_grace_exceeds_the_vote_functions_timeout_in_every_stage():
    config = chalice_config()
    assert grace_problems(config) == []
    assert all("VOTING_CLOSE_GRACE_SECONDS" in {**config.get("environment_variables", {}),
                                               **stage["environment_variables"]}
               for stage in config["stages"].values())


def test_a_grace_not_longer_than_the_timeout_is_reported():
    config = {"stages": {"prod": {"lambda_functions": {"api_handler": {"lambda_timeout": 120}},
                                  "environment_variables": {"VOTING_CLOSE_GRACE_SECONDS": "120"}}}}
    assert grace_problems(config) == ["stage prod: grace 120 s does not exceed the vote function's timeout 120 s"]
