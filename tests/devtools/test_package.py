"""`make package`: the prod stage's SAM template holds what operators rely on, and cfn-lint passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.package import (
    FUNCTIONS,
    chalice_config,
    evidence_key_problem,
    grace_problems,
    main,
    public_url_problems,
)

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
    assert {t["Properties"]["TableName"] for t in tables.values()} >= {"voting-prod-contests", "voting-prod-votes",
                                                                       "voting-prod-sessions"}
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


def key_policy(template: dict) -> list[dict]:
    [key] = resources_of(template, "AWS::KMS::Key").values()
    return key["Properties"]["KeyPolicy"]["Statement"]


def test_the_evidence_key_is_rsa_for_oaep_and_outlives_the_stack(template):
    [key] = resources_of(template, "AWS::KMS::Key").values()
    assert (key["Properties"]["KeySpec"], key["Properties"]["KeyUsage"]) == ("RSA_3072", "ENCRYPT_DECRYPT")
    assert key["DeletionPolicy"] == "Retain" and key["Properties"]["PendingWindowInDays"] == 30


def test_only_the_commissions_audit_role_may_decrypt_the_evidence(template):
    audit_role = {"Fn::GetAtt": ["CommissionAuditRole", "Arn"]}
    allowed = [s for s in key_policy(template) if s["Effect"] == "Allow" and "kms:Decrypt" in s["Action"]]
    assert [s["Principal"] for s in allowed] == [{"AWS": audit_role}]
    assert allowed[0]["Condition"] == {"StringEquals": {"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}}
    [deny] = [s for s in key_policy(template) if s["Effect"] == "Deny" and "kms:Decrypt" in s["Action"]]
    assert deny["Principal"] == "*" and deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": audit_role}}
    assert any(s["Effect"] == "Deny" and s["Action"] == ["kms:CreateGrant"] for s in key_policy(template))


def test_the_account_administers_the_evidence_key_but_cannot_use_it(template):
    [admin] = [s for s in key_policy(template) if s["Sid"] == "AccountAdministersTheKeyButCannotUseIt"]
    assert "kms:PutKeyPolicy" in admin["Action"]
    assert not {"kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant"} & set(admin["Action"])
    assert all("*" not in action for action in admin["Action"])


def test_no_function_role_may_use_any_kms_key(template):
    for name in (spec["role"] for spec in FUNCTIONS.values()):
        role = resources_of(template, "AWS::IAM::Role")[name]
        assert "kms:" not in json.dumps(role), name


def test_no_function_is_told_where_the_commissions_private_key_is(template):
    for function in resources_of(template, "AWS::Serverless::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert not {"VOTING_EVIDENCE_KMS_KEY", "VOTING_EVIDENCE_KEY_FILE"} & set(variables)


def test_the_audit_role_is_assumed_by_the_commission_with_mfa(template):
    role = resources_of(template, "AWS::IAM::Role")["CommissionAuditRole"]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "CommissionPrincipals"}}
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert template["Parameters"]["CommissionPrincipals"]["Type"] == "CommaDelimitedList"
    assert set(template["Outputs"]) >= {"EvidenceKeyArn", "CommissionAuditRoleArn"}


def test_a_stage_public_key_that_is_not_a_commission_key_stops_the_package():
    assert evidence_key_problem({"VOTING_EVIDENCE_KEY": "not a key"})[0] == "error"
    assert evidence_key_problem({"VOTING_EVIDENCE_KEY": ""})[0] == "warning"
    from chalicelib.adapters.evidence_keys import public_pem
    from tests.conftest import commission_key

    assert evidence_key_problem({"VOTING_EVIDENCE_KEY": public_pem(commission_key().public_key)}) is None


def test_the_sessions_table_deletes_its_items_by_ttl(template):
    sessions = template["Resources"]["SessionsTable"]["Properties"]
    assert sessions["TimeToLiveSpecification"] == {"AttributeName": "delete_after", "Enabled": True}
    assert sessions["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_only_the_api_touches_the_sessions_and_only_to_create_read_and_settle(template):
    rights = {}
    for name, role in resources_of(template, "AWS::IAM::Role").items():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement["Resource"] == [{"Fn::GetAtt": ["SessionsTable", "Arn"]}]:
                    rights[name] = sorted(statement["Action"])
    assert rights == {"ApiHandlerRole": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]}


def test_every_stage_has_loadable_egov_mobile_settings():
    config = chalice_config()
    assert public_url_problems(config) == []
    assert all("VOTING_PUBLIC_URL" in stage["environment_variables"] for stage in config["stages"].values())


def test_a_prod_public_address_that_is_not_https_is_reported():
    organisation = '{"nameRu": "a", "nameKz": "b", "nameEn": "c", "bin": "123456789012"}'
    config = {"stages": {"prod": {"environment_variables": {"VOTING_PUBLIC_URL": "http://localhost:8000",
                                                             "VOTING_ORGANISATION": organisation}}}}
    assert public_url_problems(config) == ["stage prod: VOTING_PUBLIC_URL must be the API's public https address"]


def test_an_egov_mobile_setting_that_does_not_load_is_reported():
    config = {"stages": {"dev": {"environment_variables": {"VOTING_PUBLIC_URL": "https://x.kz/api"}}}}
    assert public_url_problems(config)[0].startswith("stage dev: VOTING_ORGANISATION must be set")
