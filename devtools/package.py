"""`make package`: the prod stage as a SAM template and zip in build/, ready for
`aws cloudformation deploy` or `sam deploy`.

Chalice writes the functions, the API and the schedules; `build/resources.json`, merged in with
`chalice package --merge-template`, adds what Chalice does not: the tables (on-demand,
point-in-time recovery, encryption, deletion protection; the signing sessions' with a TTL), the
CRL bucket, log groups with retention, fixed function names, a least-privilege policy per
function naming only the actions and resources it uses, and the commission's evidence key: an RSA
KMS key whose Decrypt only the commission's audit role may call (no function's role can, and the
key policy denies it to every other principal), that role, and who may assume it (the
`CommissionPrincipals` parameter, with MFA).

    python -m devtools.package [--out build]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from chalicelib.adapters.dynamodb import TTL_ATTRIBUTE
from chalicelib.settings import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parents[1]
STAGE = "prod"
LOG_RETENTION_DAYS = 400  # a contest's logs outlive its appeals period
CRL_PREFIX = "crl/"

# logical id of the Chalice function → (function name suffix, what it may do)
FUNCTIONS: dict[str, dict[str, Any]] = {
    # eGov mobile's sessions: created, read and settled by conditional updates; never scanned or
    # deleted by the API (the TTL deletes them).
    "APIHandler": {"role": "ApiHandlerRole", "suffix": "api", "secret": True, "crl": "read",
                   "contests": ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                   "votes": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
                   "receipts": ["dynamodb:Query"],
                   "sessions": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]},
    "RefreshCrls": {"role": "RefreshCrlsRole", "suffix": "refresh-crls", "secret": False, "crl": "write",
                    "contests": [], "votes": [], "receipts": [], "sessions": []},
    # The built-in authorizer of /admin routes: checks the session token's MAC (keyed by the secret).
    "AdminSession": {"role": "AdminSessionRole", "suffix": "admin-session", "secret": True, "crl": "read",
                     "contests": [], "votes": [], "receipts": [], "sessions": []},
    # The closer: contests' state and result, and a parallel scan of the votes. No secret.
    "CloseContests": {"role": "CloseContestsRole", "suffix": "close-contests", "secret": False, "crl": "read",
                      "contests": ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem"],
                      "votes": ["dynamodb:Scan"], "receipts": [], "sessions": []},
}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _table(name: str, key: str, index: dict[str, Any] | None = None, ttl: str | None = None) -> dict[str, Any]:
    attributes = [{"AttributeName": key, "AttributeType": "S"}]
    properties: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": True,
    }
    if index:
        attributes.append({"AttributeName": index["key"], "AttributeType": "S"})
        properties["GlobalSecondaryIndexes"] = [{
            "IndexName": index["name"],
            "KeySchema": [{"AttributeName": index["key"], "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": index["fields"]},
        }]
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


def _policy(logical_id: str, spec: dict[str, Any], secret_parameter: str) -> dict[str, Any]:
    log_group = _sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:"
                     f"/aws/lambda/${{AWS::StackName}}-{spec['suffix']}")
    statements: list[dict[str, Any]] = [{
        "Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [{"Fn::Join": ["", [log_group, ":*"]]}],
    }]
    if spec["contests"]:
        statements.append({"Sid": "Contests", "Effect": "Allow", "Action": spec["contests"],
                           "Resource": [{"Fn::GetAtt": ["ContestsTable", "Arn"]}]})
    if spec["votes"]:
        statements.append({"Sid": "Votes", "Effect": "Allow", "Action": spec["votes"],
                           "Resource": [{"Fn::GetAtt": ["VotesTable", "Arn"]}]})
    if spec["receipts"]:
        statements.append({"Sid": "Receipts", "Effect": "Allow", "Action": spec["receipts"],
                           "Resource": [{"Fn::Join": ["", [{"Fn::GetAtt": ["VotesTable", "Arn"]},
                                                            "/index/receipt"]]}]})
    if spec["sessions"]:
        statements.append({"Sid": "SigningSessions", "Effect": "Allow", "Action": spec["sessions"],
                           "Resource": [{"Fn::GetAtt": ["SessionsTable", "Arn"]}]})
    if spec["secret"]:
        statements.append({"Sid": "Secret", "Effect": "Allow", "Action": ["ssm:GetParameter"],
                           "Resource": [_sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                                             f"parameter{secret_parameter}")]})
    if spec["crl"] is None:
        return {"PolicyName": f"{logical_id}LeastPrivilege",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
    objects = {"Fn::Join": ["", [{"Fn::GetAtt": ["CrlBucket", "Arn"]}, f"/{CRL_PREFIX}*"]]}
    object_actions = ["s3:GetObject"] + (["s3:PutObject"] if spec["crl"] == "write" else [])
    statements += [
        {"Sid": "CrlObjects", "Effect": "Allow", "Action": object_actions, "Resource": [objects]},
        {"Sid": "CrlList", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": [{"Fn::GetAtt": ["CrlBucket", "Arn"]}],
         "Condition": {"StringLike": {"s3:prefix": [f"{CRL_PREFIX}*"]}}},
    ]
    return {"PolicyName": f"{logical_id}LeastPrivilege",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


EVIDENCE_KEY_SPEC = "RSA_3072"  # chalicelib/adapters/evidence_keys.py: KEY_BITS
EVIDENCE_ALGORITHM = "RSAES_OAEP_SHA_256"  # what voting/seal.py wraps data keys with
AUDIT_ROLE = "CommissionAuditRole"
# What the account may do with the evidence key: administer it (CloudFormation needs PutKeyPolicy),
# never use it. Changing the policy is logged by CloudTrail like every KMS call.
KEY_ADMINISTRATION = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetPublicKey", "kms:GetKeyRotationStatus",
                      "kms:ListResourceTags", "kms:ListKeyPolicies", "kms:ListGrants", "kms:PutKeyPolicy",
                      "kms:EnableKey", "kms:DisableKey", "kms:TagResource", "kms:UntagResource",
                      "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                      "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]


def evidence_resources() -> dict[str, Any]:
    """The commission's key for sealed evidence, and the one role that may open it."""
    audit_role = {"Fn::GetAtt": [AUDIT_ROLE, "Arn"]}
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministersTheKeyButCannotUseIt", "Effect": "Allow",
         "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
         "Action": KEY_ADMINISTRATION, "Resource": "*"},
        {"Sid": "OnlyTheCommissionOpensEvidence", "Effect": "Allow", "Principal": {"AWS": audit_role},
         "Action": ["kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionAlgorithm": EVIDENCE_ALGORITHM}}},
        {"Sid": "TheCommissionReadsThePublicKey", "Effect": "Allow", "Principal": {"AWS": audit_role},
         "Action": ["kms:GetPublicKey", "kms:DescribeKey"], "Resource": "*"},
        {"Sid": "NobodyElseOpensEvidence", "Effect": "Deny", "Principal": "*", "Action": ["kms:Decrypt"],
         "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": audit_role}}},
        {"Sid": "NoGrantsAroundThisPolicy", "Effect": "Deny", "Principal": "*", "Action": ["kms:CreateGrant"],
         "Resource": "*"},
    ]}
    return {
        "EvidenceKey": {
            # Kept when the stack goes: the evidence outlives it; destroying the key is the
            # deliberate end of the retention period (README, "Key ceremony").
            "Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"Description": "The commission's key: opens the sealed evidence of votes (audit role only)",
                           "KeySpec": EVIDENCE_KEY_SPEC, "KeyUsage": "ENCRYPT_DECRYPT", "Enabled": True,
                           "PendingWindowInDays": 30, "KeyPolicy": policy},
        },
        "EvidenceKeyAlias": {"Type": "AWS::KMS::Alias",
                             "Properties": {"AliasName": _sub("alias/${AWS::StackName}-evidence"),
                                            "TargetKeyId": {"Ref": "EvidenceKey"}}},
        AUDIT_ROLE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "The commission's audit: export the evidence and open it with the evidence key",
                "MaxSessionDuration": 43200,  # an audit of millions of votes runs for hours
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": {"Ref": "CommissionPrincipals"}},
                    "Action": ["sts:AssumeRole"],
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]},
                # The evidence key's own policy names this role; its export needs these reads.
                "Policies": [{"PolicyName": "CommissionAuditReads", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": [
                        {"Sid": "Votes", "Effect": "Allow", "Action": ["dynamodb:Scan"],
                         "Resource": [{"Fn::GetAtt": ["VotesTable", "Arn"]}]},
                        {"Sid": "Contests", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Scan"],
                         "Resource": [{"Fn::GetAtt": ["ContestsTable", "Arn"]}]}]}}],
            },
        },
    }


def merge_template(prefix: str, secret_parameter: str) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "ContestsTable": _table(f"{prefix}contests", "id"),
        "VotesTable": _table(f"{prefix}votes", "pk", {"name": "receipt", "key": "receipt",
                                                      "fields": ["contest", "nominee", "nomination", "cast_at"]}),
        "SessionsTable": _table(f"{prefix}sessions", "id", ttl=TTL_ATTRIBUTE),
        "CrlBucket": {
            "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
            },
        },
    }
    for logical_id, spec in FUNCTIONS.items():
        name = _sub(f"${{AWS::StackName}}-{spec['suffix']}")
        resources[logical_id] = {"Properties": {
            "FunctionName": name,
            **({"EphemeralStorage": {"Size": spec["tmp_mb"]}} if "tmp_mb" in spec else {}),
            "Environment": {"Variables": {"VOTING_CRL_BUCKET": {"Ref": "CrlBucket"}, "VOTING_CRL_PREFIX": CRL_PREFIX}},
        }}
        resources[f"{logical_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": _sub(f"/aws/lambda/${{AWS::StackName}}-{spec['suffix']}"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        }
        resources[spec["role"]] = {"Properties": {"Policies": [_policy(logical_id, spec, secret_parameter)]}}
    resources.update(evidence_resources())
    return {
        "Parameters": {"CommissionPrincipals": {
            "Type": "CommaDelimitedList",
            "Description": "IAM ARNs of the commission members (users or roles) who may assume the audit role, "
                           "with MFA, and so open the sealed evidence"}},
        "Resources": resources,
        "Outputs": {
            "ContestsTableName": {"Value": {"Ref": "ContestsTable"}},
            "VotesTableName": {"Value": {"Ref": "VotesTable"}},
            "SessionsTableName": {"Value": {"Ref": "SessionsTable"}},
            "CrlBucketName": {"Value": {"Ref": "CrlBucket"}},
            "EvidenceKeyArn": {"Value": {"Fn::GetAtt": ["EvidenceKey", "Arn"]}},
            "CommissionAuditRoleArn": {"Value": {"Fn::GetAtt": [AUDIT_ROLE, "Arn"]}},
        },
    }


VOTE_FUNCTION = "api_handler"  # Chalice's name for the function that serves every route
DEFAULT_LAMBDA_TIMEOUT = 60  # Chalice's default when a stage sets none
DEFAULT_GRACE_SECONDS = 120.0  # chalicelib.settings: VOTING_CLOSE_GRACE_SECONDS


def grace_problems(config: dict[str, Any]) -> list[str]:
    """Stages of a `.chalice/config.json` whose closing grace does not exceed the vote function's
    timeout: a vote accepted just before `closes_at` could still be in flight when counting starts."""
    problems = []
    top_env = config.get("environment_variables", {})
    for name, stage in config.get("stages", {}).items():
        env = {**top_env, **stage.get("environment_variables", {})}
        grace = float(env.get("VOTING_CLOSE_GRACE_SECONDS") or DEFAULT_GRACE_SECONDS)
        function = stage.get("lambda_functions", {}).get(VOTE_FUNCTION, {})
        timeout = function.get("lambda_timeout", stage.get("lambda_timeout", config.get("lambda_timeout",
                                                                                          DEFAULT_LAMBDA_TIMEOUT)))
        if grace <= timeout:
            problems.append(f"stage {name}: grace {grace:g} s does not exceed the vote function's timeout {timeout} s")
    return problems


def evidence_key_problem(settings: dict[str, str]) -> tuple[str, str] | None:
    """("error" | "warning", text) when the stage's VOTING_EVIDENCE_KEY is wrong or still empty."""
    from chalicelib.settings import Settings
    from chalicelib.voting.seal import public_key_from_pem

    pem = Settings.from_environment(settings).evidence_public_key
    if not pem:
        return ("warning", f"stage {STAGE}: VOTING_EVIDENCE_KEY is empty: votes get 503 until the commission's "
                           "public key is configured (README: key ceremony; `manage.py evidence-key --kms "
                           "alias/<stack>-evidence` prints it after the first deploy)")
    try:
        public_key_from_pem(pem)
    except ValueError as error:
        return ("error", f"stage {STAGE}: VOTING_EVIDENCE_KEY: {error}")
    return None


def public_url_problems(config: dict[str, Any]) -> list[str]:
    """Stages whose eGov mobile settings would not load, and a prod stage whose public address is
    not https (eGov mobile calls it from the internet)."""
    problems = []
    top_env = config.get("environment_variables", {})
    for name, stage in config.get("stages", {}).items():
        env = {**top_env, **stage.get("environment_variables", {})}
        mobile = {key: env[key] for key in ("VOTING_PUBLIC_URL", "VOTING_ORGANISATION") if key in env}
        try:
            Settings.from_environment(mobile)
        except ConfigurationError as error:
            problems.append(f"stage {name}: {error}")
            continue
        if name == STAGE and mobile.get("VOTING_PUBLIC_URL") and not mobile["VOTING_PUBLIC_URL"].startswith("https://"):
            problems.append(f"stage {name}: VOTING_PUBLIC_URL must be the API's public https address")
    return problems


def chalice_config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config


def stage_settings() -> dict[str, str]:
    settings: dict[str, str] = chalice_config()["stages"][STAGE]["environment_variables"]
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Package the prod stage for CloudFormation.")
    parser.add_argument("--out", default=str(ROOT / "build"))
    args = parser.parse_args(argv)
    config = chalice_config()
    problems = grace_problems(config) + public_url_problems(config)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    settings = stage_settings()
    key_problem = evidence_key_problem(settings)
    if key_problem is not None:
        print(f"{key_problem[0]}: {key_problem[1]}", file=sys.stderr)
        if key_problem[0] == "error":
            return 2
    if not settings.get("VOTING_PUBLIC_URL"):
        print(f"note: stage {STAGE} has no VOTING_PUBLIC_URL (and VOTING_ORGANISATION): the page offers no eGov "
              "mobile signing until they are set (README, Deploying to AWS)", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    merge = out / "resources.json"
    template = merge_template(settings["VOTING_TABLE_PREFIX"], settings["VOTING_SECRET_PARAM"])
    merge.write_text(json.dumps(template, indent=2))
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")}
    chalice = str(Path(sys.executable).parent / "chalice")
    subprocess.run([chalice, "package", "--stage", STAGE, "--merge-template", str(merge), str(out)],  # noqa: S603
                   cwd=ROOT, env=env, check=True)
    print(f"wrote {out / 'sam.json'} and {out / 'deployment.zip'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
