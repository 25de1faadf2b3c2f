"""`make package`: the prod stage's SAM template holds what operators rely on, and cfn-lint passes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.package import (
    FUNCTIONS,
    XRAY_ACTIONS,
    chalice_config,
    evidence_key_problem,
    grace_problems,
    main,
    public_url_problems,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
CRL_URLS = "http://crl.pki.gov.kz/nca_rsa.crl,http://crl.pki.gov.kz/nca_d_rsa.crl"


def ready_project(folder: Path) -> Path:
    """This project as an operator makes it ready for prod: the NCA's CAs in chalicelib/trust/prod/
    (here a CA made for the test) and the CRL URLs in the stage."""
    from devtools import devpki

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "chalicelib", folder / "chalicelib", ignore=ignore)
    shutil.copytree(ROOT / ".chalice", folder / ".chalice", ignore=shutil.ignore_patterns("deployments", "venv"))
    (folder / "chalicelib" / "trust" / "prod" / "root.der").write_bytes(devpki.issue_ca("PACKAGE TEST ROOT").der)
    config = json.loads((folder / ".chalice" / "config.json").read_text())
    config["stages"]["prod"]["environment_variables"]["VOTING_CRL_URLS"] = CRL_URLS
    (folder / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert main(["--out", str(out), "--project", str(ready_project(tmp_path_factory.mktemp("project")))]) == 0
    return out


@pytest.fixture(scope="module")
def template(built) -> dict:
    return json.loads((built / "sam.json").read_text())


def resources_of(template: dict, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_package_has_a_template_and_a_zip(built):
    assert (built / "deployment.zip").stat().st_size > 0


def test_tables_of_record_are_on_demand_recoverable_encrypted_and_protected(template):
    tables = resources_of(template, "AWS::DynamoDB::Table")
    for name in ("ContestsTable", "VotesTable"):
        table = tables[name]
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
                if statement["Action"] == XRAY_ACTIONS:  # X-Ray's writes have no resource types
                    continue
                assert statement["Resource"] != "*" and "*" not in statement["Resource"]


def test_only_the_api_functions_the_authorizer_and_the_crl_refresher_can_read_the_secret(template):
    readers = [name for name, role in resources_of(template, "AWS::IAM::Role").items()
               if "ssm:GetParameter" in json.dumps(role)]
    # The refresher derives from it the key that seals the revocation indexes.
    assert sorted(readers) == ["AdminApiRole", "AdminSessionRole", "ApiHandlerRole", "RefreshCrlsRole"]


def crl_rights(template: dict) -> dict[str, tuple[list[str], str]]:
    found = {}
    for name, role in resources_of(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement.get("Sid") == "CrlObjects":
                    found[name] = (sorted(statement["Action"]), statement["Resource"][0]["Fn::Join"][1][1])
    return found


def test_only_the_refresher_writes_the_crl_bucket_and_the_others_read_only_the_indexes(template):
    rights = crl_rights(template)
    assert rights.pop("RefreshCrlsRole") == (["s3:GetObject", "s3:PutObject"], "/crl/*")
    assert rights == {"ApiHandlerRole": (["s3:GetObject"], "/crl/index/*"),
                      "AdminApiRole": (["s3:GetObject"], "/crl/index/*")}
    assert "s3:ListBucket" not in json.dumps(template["Resources"])


def test_the_refresher_has_the_time_and_the_memory_for_a_national_gost_crl(template):
    refresher = template["Resources"]["RefreshCrls"]["Properties"]
    assert refresher["Timeout"] >= 600 and refresher["MemorySize"] >= 1769  # one full vCPU


def test_the_prod_stage_names_the_ncas_base_and_delta_crls():
    urls = chalice_config()["stages"]["prod"]["environment_variables"]["VOTING_CRL_URLS"].split(",")
    assert {u.rsplit("/", 1)[1] for u in urls} == {"nca_rsa_2022.crl", "nca_d_rsa_2022.crl", "nca_gost_2022.crl",
                                                   "nca_d_gost_2022.crl"}


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


def role_statements(template: dict, role: str) -> dict[str, dict]:
    [policy] = resources_of(template, "AWS::IAM::Role")[role]["Properties"]["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def integration_of(operation: dict) -> str:
    return operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]


# --- one function per side (least privilege) --------------------------------------------------

def test_the_commissions_routes_go_to_their_own_function_and_no_other_route_does(template):
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            wanted = "${AdminApi.Arn}" if path == "/admin" or path.startswith("/admin/") else "${APIHandler.Arn}"
            assert wanted in integration_of(operation), f"{method} {path}"
    assert {p for p in paths if p.startswith("/admin")} >= {"/admin", "/admin/sessions", "/admin/contests/{contest_id}"}


def test_api_gateway_may_invoke_the_commissions_function_for_admin_paths_only(template):
    permission = template["Resources"]["AdminApiInvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith("${RestAPI}/*/*/admin*")


def test_the_voters_function_only_reads_contests_and_receipts_writes_votes_and_settles_sessions(template):
    statements = role_statements(template, "ApiHandlerRole")
    tables = {sid: (s["Action"], s["Resource"]) for sid, s in statements.items() if sid not in
              ("OwnLogs", "Secret", "CrlObjects", "CrlList", "Traces")}
    assert tables == {
        "Contests": (["dynamodb:GetItem"], [{"Fn::GetAtt": ["ContestsTable", "Arn"]}]),
        "Summaries": (["dynamodb:Scan"], [{"Fn::Join": ["", [{"Fn::GetAtt": ["ContestsTable", "Arn"]},
                                                             "/index/summary"]]}]),
        "Votes": (["dynamodb:GetItem", "dynamodb:PutItem"], [{"Fn::GetAtt": ["VotesTable", "Arn"]}]),
        "Receipts": (["dynamodb:Query"], [{"Fn::Join": ["", [{"Fn::GetAtt": ["VotesTable", "Arn"]},
                                                             "/index/receipt"]]}]),
        "Sessions": (["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                     [{"Fn::GetAtt": ["SessionsTable", "Arn"]}]),
    }
    assert statements["CrlObjects"]["Action"] == ["s3:GetObject"]


def test_only_the_commissions_function_writes_contests_scans_votes_for_results_and_spends_challenges(template):
    statements = role_statements(template, "AdminApiRole")
    assert statements["Contests"]["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert statements["Votes"]["Action"] == ["dynamodb:Scan"]
    assert statements["Challenges"]["Action"] == ["dynamodb:PutItem"]
    for role in ("ApiHandlerRole", "AdminSessionRole", "RefreshCrlsRole", "CloseContestsRole"):
        statements = role_statements(template, role)
        assert "dynamodb:PutItem" not in statements.get("Contests", {}).get("Action", [])
        assert "Challenges" not in statements


def test_the_authorizer_reads_the_secret_and_nothing_else(template):
    assert set(role_statements(template, "AdminSessionRole")) == {"OwnLogs", "Secret", "Traces"}


def test_the_commissions_function_runs_the_same_app_with_its_own_limits(template):
    admin = template["Resources"]["AdminApi"]["Properties"]
    voters = template["Resources"]["APIHandler"]["Properties"]
    assert (admin["Handler"], admin["CodeUri"]) == ("app.admin_api", voters["CodeUri"])
    assert admin["Role"] == {"Fn::GetAtt": ["AdminApiRole", "Arn"]}
    assert (admin["ReservedConcurrentExecutions"], voters["ReservedConcurrentExecutions"]) == (10, 500)
    assert admin["Environment"]["Variables"]["VOTING_ADMIN_IINS"] == {"Ref": "AdminIins"}
    assert "VOTING_ADMIN_IINS" not in voters["Environment"]["Variables"]


# --- names from the stack ---------------------------------------------------------------------

def test_every_name_derives_from_the_stack_so_stacks_share_an_account(template):
    text = json.dumps(template)
    assert "voting-prod" not in text and "/voting/prod" not in text
    tables = resources_of(template, "AWS::DynamoDB::Table")
    assert {t["Properties"]["TableName"]["Fn::Sub"] for t in tables.values()} == {
        "${AWS::StackName}-contests", "${AWS::StackName}-votes", "${AWS::StackName}-sessions",
        "${AWS::StackName}-challenges"}
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["VOTING_TABLE_PREFIX"] == {"Fn::Sub": "${AWS::StackName}-"}, name
        assert function["Properties"]["FunctionName"]["Fn::Sub"].startswith("${AWS::StackName}-"), name
    assert template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]["VOTING_SECRET_PARAM"] == \
        {"Fn::Sub": "/${AWS::StackName}/secret"}


def test_the_spent_challenges_table_forgets_by_time_to_live(template):
    table = template["Resources"]["ChallengesTable"]
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True} and table["DeletionPolicy"] == "Delete"


def test_the_contest_list_has_its_summary_index(template):
    [index] = template["Resources"]["ContestsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["Projection"]["NonKeyAttributes"]) == (
        "summary", ["title", "opens_at", "closes_at", "state", "planned_closes_at"])


# --- the edge ---------------------------------------------------------------------------------

def test_the_stage_throttles_every_method_and_the_commissions_hardest(template):
    settings = {(s["ResourcePath"], s["HttpMethod"]): (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"])
                for s in template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]}
    assert settings[("/*", "*")] == (1000, 2000)
    assert settings[("/contests~1{contest_id}~1votes", "POST")] == (2000, 4000)
    assert settings[("/admin~1sessions", "POST")] == settings[("/admin", "GET")] == (20, 40)
    assert settings[("/health", "GET")] == (10, 20)


def test_a_vote_from_a_phone_is_throttled_no_harder_than_one_from_a_computer(template):
    settings = {(s["ResourcePath"], s["HttpMethod"]): (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"])
                for s in template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]}
    rate, burst = settings[("/contests~1{contest_id}~1votes", "POST")]
    for path, method in [("/contests~1{contest_id}~1mobile-signatures", "POST"), ("/egov~1{session_id}", "GET"),
                         ("/egov~1{session_id}~1document", "GET"), ("/egov~1{session_id}~1document", "PUT"),
                         ("/contests~1{contest_id}~1mobile-signatures~1{session_id}~1qr", "GET")]:
        assert settings[(path, method)][0] >= rate and settings[(path, method)][1] >= burst, path
    polls = settings[("/contests~1{contest_id}~1mobile-signatures~1{session_id}", "GET")]
    assert polls[0] > rate and polls[1] > burst


def test_a_waf_web_acl_limits_each_address_and_answers_429_the_pages_retry(template):
    from chalicelib.voting.rejection import message_for

    acl = template["Resources"]["WebAcl"]["Properties"]
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert rules["PerAddress"]["Statement"]["RateBasedStatement"] == {
        "Limit": 6000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}
    admin = rules["AdminPerAddress"]["Statement"]["RateBasedStatement"]
    assert admin["Limit"] == 300 and admin["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/api/admin"
    block = rules["PerAddress"]["Action"]["Block"]["CustomResponse"]
    assert (block["ResponseCode"], block["ResponseHeaders"]) == (429, [{"Name": "Retry-After", "Value": "60"}])
    assert json.loads(acl["CustomResponseBodies"]["unavailable"]["Content"]) == {
        "error": "unavailable", "message": message_for("unavailable")}
    association = template["Resources"]["WebAclAssociation"]["Properties"]
    assert association["ResourceArn"]["Fn::Sub"].endswith("/restapis/${RestAPI}/stages/api")


def test_the_api_is_regional_so_the_waf_sees_each_citizens_address(template):
    assert template["Resources"]["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"


def test_api_gateway_compresses_answers_over_a_kilobyte(template):
    assert template["Resources"]["RestAPI"]["Properties"]["MinimumCompressionSize"] == 1024


# --- what a deployment needs ------------------------------------------------------------------

def test_the_admins_are_a_hidden_parameter_that_must_name_iins(template):
    import re

    parameter = template["Parameters"]["AdminIins"]
    assert parameter["NoEcho"] is True and "Default" not in parameter
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("880202400456,900101300123") and not pattern.fullmatch("")
    assert not pattern.fullmatch("88020240045") and not pattern.fullmatch("880202400456, 900101300123")


def test_prod_is_not_packaged_without_trust_anchors_and_crl_urls_and_says_what_to_do(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 2  # this checkout: chalicelib/trust/prod/ holds only its README
    err = capsys.readouterr().err
    assert "no trust anchors" in err and "put the NCA production roots and issuing CAs in chalicelib/trust/prod/" in err
    assert "nothing was packaged" in err and "VOTING_CRL_URLS" not in err  # the stage names the NCA's CRLs
    assert not (tmp_path / "sam.json").exists()


def test_an_expired_trust_anchor_or_a_secret_in_the_stage_stops_the_package(tmp_path):
    from datetime import UTC, datetime, timedelta

    from devtools import devpki
    from devtools.package import stage_problems

    project = ready_project(tmp_path)
    old = devpki.issue_ca("OLD ROOT", not_before=datetime.now(UTC) - timedelta(days=30), days=10)
    (project / "chalicelib" / "trust" / "prod" / "old.der").write_bytes(old.der)
    settings = {"VOTING_TRUST_DIR": "chalicelib/trust/prod", "VOTING_CRL_URLS": "ftp://x",
                "VOTING_SECRET": "development-only-secret-not-for-production-use-0001",
                "VOTING_CRL_OPTIONAL": "ab" * 32}
    problems = stage_problems(settings, project, datetime.now(UTC))
    assert any("VOTING_CRL_OPTIONAL must not be set" in p for p in problems)
    assert any("VOTING_CRL_URLS is empty" in p for p in stage_problems({}, project, datetime.now(UTC)))
    assert any("'C=KZ,CN=OLD ROOT'" in p and "is not valid now" in p for p in problems)
    assert any("'ftp://x' is not an http(s) URL" in p for p in problems)
    assert any("VOTING_SECRET must not be set" in p for p in problems)


# --- election-day operations (devtools/operations.py; the rest in tests/devtools/test_operations.py) --

def test_every_function_is_traced_by_x_ray_and_may_send_its_traces(template):
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        assert function["Properties"]["Tracing"] == "Active", name
    for spec in FUNCTIONS.values():
        assert role_statements(template, spec["role"])["Traces"]["Action"] == XRAY_ACTIONS


def test_the_packaged_template_holds_the_topic_the_dashboard_and_the_alarms(template):
    assert len(resources_of(template, "AWS::SNS::Topic")) == 1
    assert len(resources_of(template, "AWS::CloudWatch::Dashboard")) == 1
    assert len(resources_of(template, "AWS::CloudWatch::Alarm")) >= 20


def test_api_gateways_own_refusals_answer_the_contracts_code_with_the_security_headers(template):
    from chalicelib.voting.rejection import message_for, status_for

    definition = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = definition["x-amazon-apigateway-gateway-responses"]
    for kind, code in {"UNAUTHORIZED": "unauthorized", "ACCESS_DENIED": "forbidden",
                       "MISSING_AUTHENTICATION_TOKEN": "not_found", "DEFAULT_5XX": "unavailable"}.items():
        answer = responses[kind]
        assert answer["statusCode"] == str(status_for(code))
        assert json.loads(answer["responseTemplates"]["application/json"]) == {"error": code,
                                                                             "message": message_for(code)}
        headers = answer["responseParameters"]
        assert headers["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
        assert "gatewayresponse.header.Strict-Transport-Security" in headers
    assert responses["DEFAULT_5XX"]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'2'"


def test_the_stages_throttling_answers_429_with_the_contracts_unavailable_and_a_retry_after(template):
    from chalicelib.voting.rejection import message_for

    definition = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    throttled = definition["x-amazon-apigateway-gateway-responses"]["THROTTLED"]
    assert throttled["statusCode"] == "429"  # the pages wait and resend on it, as on the WAF's 429
    assert json.loads(throttled["responseTemplates"]["application/json"]) == {
        "error": "unavailable", "message": message_for("unavailable")}
    assert throttled["responseParameters"]["gatewayresponse.header.Retry-After"] == "'2'"
    assert "gatewayresponse.header.Strict-Transport-Security" in throttled["responseParameters"]
