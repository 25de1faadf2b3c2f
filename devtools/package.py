"""`make package`: the prod stage as a SAM template and zip in build/, ready for
`aws cloudformation deploy` or `sam deploy`.

Chalice writes the functions, the API and the schedules; `build/resources.json`, merged in with
`chalice package --merge-template`, adds what Chalice does not:

- the tables (on-demand, point-in-time recovery, encryption, deletion protection; the signing
  sessions' and the spent challenges' tables with a time to live), named after the stack, so
  staging and prod stacks live side by side in one account (`${AWS::StackName}-contests`, …); the
  CRL bucket; log groups with retention; function names after the stack;
- one function per side: API Gateway's integrations of the `/admin…` routes point at the
  commission's function (`admin_api` in app.py) instead of Chalice's `api_handler`, so each has
  its own role; a least-privilege policy per function naming only the actions and resources it uses;
- the edge: stage throttling per method and a WAF web ACL with rate-based rules per address;
- who may sign in as the commission (`AdminIins`, a parameter: personal data stays out of git);
- the commission's evidence key: an RSA KMS key whose Decrypt only the commission's audit role may
  call (no function's role can, and the key policy denies it to every other principal), that role,
  and who may assume it (the `CommissionPrincipals` parameter, with MFA);
- election-day operations (`devtools/operations.py`): the on-call's SNS topic, the alarms, the
  dashboard; X-Ray on the API stage and every function (`"xray": true` in the prod stage), the
  metrics' `stage` dimension (`VOTING_STACK`) and the Tracer on the scheduled functions.

It refuses to package a stage that cannot work: no trust anchors in `chalicelib/trust/prod/`, no
`VOTING_CRL_URLS`, a grace not longer than the vote function's timeout, a secret or a local
endpoint in the stage, a malformed commission key.

    python -m devtools.package [--out build] [--project DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.adapters.crl_sources import INDEX_FOLDER
from chalicelib.adapters.dynamodb import CHALLENGE_TTL_ATTRIBUTE, SESSION_TTL_ATTRIBUTE
from chalicelib.settings import ConfigurationError, Settings
from devtools import operations
from devtools.stages import stage_variables

ROOT = Path(__file__).resolve().parents[1]
STAGE = "prod"
API_STAGE = "api"  # .chalice/config.json: api_gateway_stage
LOG_RETENTION_DAYS = 400  # a contest's logs outlive its appeals period
CRL_PREFIX = "crl/"
CRL_INDEX_FOLDER = INDEX_FOLDER  # what vote functions read: crl/index/<CA fingerprint>.idx
SECRET_PARAMETER = "/${AWS::StackName}/secret"  # noqa: S105 - the SSM parameter's name, not a secret
ADMIN_FUNCTION = "AdminApi"  # app.py: admin_api, the commission's function
ADMIN_PREFIX = "/admin"

# What each table (or index) is called in the template.
TABLE_ARNS: dict[str, Any] = {
    "contests": {"Fn::GetAtt": ["ContestsTable", "Arn"]},
    "summaries": {"Fn::Join": ["", [{"Fn::GetAtt": ["ContestsTable", "Arn"]}, "/index/summary"]]},
    "votes": {"Fn::GetAtt": ["VotesTable", "Arn"]},
    "receipts": {"Fn::Join": ["", [{"Fn::GetAtt": ["VotesTable", "Arn"]}, "/index/receipt"]]},
    "challenges": {"Fn::GetAtt": ["ChallengesTable", "Arn"]},
    "sessions": {"Fn::GetAtt": ["SessionsTable", "Arn"]},
}

# logical id of each function → its name suffix and everything it may do.
FUNCTIONS: dict[str, dict[str, Any]] = {
    # The voters' function, facing the internet: reads contests (one by key, the list through the
    # summary index) and receipts, writes votes (GetItem only to answer a retry with its receipt);
    # eGov mobile's sessions: created, read and settled by conditional updates, never scanned or
    # deleted (the TTL deletes them).
    "APIHandler": {"role": "ApiHandlerRole", "suffix": "api", "secret": True, "crl": "read", "admins": False,
                   "tables": {"contests": ["dynamodb:GetItem"], "summaries": ["dynamodb:Scan"],
                              "votes": ["dynamodb:GetItem", "dynamodb:PutItem"], "receipts": ["dynamodb:Query"],
                              "sessions": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]}},
    # The commission's routes: sign-in (spends a challenge, checks revocation), uploads and close,
    # provisional counts and the sealed evidence (a scan of the votes).
    ADMIN_FUNCTION: {"role": "AdminApiRole", "suffix": "admin-api", "secret": True, "crl": "read", "admins": True,
                     "tables": {"contests": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                                "votes": ["dynamodb:Scan"], "challenges": ["dynamodb:PutItem"]}},
    # The CRL refresher: downloads the NCA's CRLs, writes the verified CRLs and each CA's revocation
    # index; the secret derives the key that seals the indexes (README, "Revocation").
    "RefreshCrls": {"role": "RefreshCrlsRole", "suffix": "refresh-crls", "secret": True, "crl": "write",
                    "admins": False, "tables": {}, "traced": True},
    # The built-in authorizer of /admin routes: checks the session token's MAC (keyed by the secret).
    "AdminSession": {"role": "AdminSessionRole", "suffix": "admin-session", "secret": True, "crl": None,
                     "admins": True, "tables": {}},
    # The closer: the summaries, each due contest's state and result, a parallel scan of the votes. No secret.
    "CloseContests": {"role": "CloseContestsRole", "suffix": "close-contests", "secret": False, "crl": None,
                      "admins": False, "traced": True,
                      "tables": {"contests": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                                 "summaries": ["dynamodb:Scan"], "votes": ["dynamodb:Scan"]}},
}

# X-Ray's write actions have no resource types: "*" is the only resource they take.
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]

# The edge (README, "Protection at the edge"). API Gateway: requests per second and burst per method.
THROTTLE_DEFAULT = (1000, 2000)
VOTE_RATE = (2000, 4000)  # what the vote function's reserved containers serve
THROTTLE: dict[tuple[str, str], tuple[int, int]] = {
    ("/contests/{contest_id}/votes", "POST"): VOTE_RATE,
    ("/contests/{contest_id}/challenges", "POST"): VOTE_RATE,
    # A phone's vote is a session, API 1, API 2's document and its PUT (the vote itself): each once
    # a vote, so each at the vote's rate. The waiting page polls its session every 2-6 s for as
    # long as the citizen takes on the phone (tens of seconds), so at the vote's rate several
    # times as many polls wait at once; they are one read each, and a 429 only slows the page.
    ("/contests/{contest_id}/mobile-signatures", "POST"): VOTE_RATE,
    ("/contests/{contest_id}/mobile-signatures/{session_id}", "GET"): (5000, 10000),
    ("/contests/{contest_id}/mobile-signatures/{session_id}/qr", "GET"): VOTE_RATE,
    ("/egov/{session_id}", "GET"): VOTE_RATE,
    ("/egov/{session_id}/document", "GET"): VOTE_RATE,
    ("/egov/{session_id}/document", "PUT"): VOTE_RATE,
    ("/health", "GET"): (10, 20),
}
THROTTLE_ADMIN = (20, 40)
# WAF: requests per address in 5 minutes. Generous: a mobile operator's carrier-grade NAT puts
# thousands of citizens behind one address, and one vote is about ten requests.
WAF_WINDOW_SECONDS = 300
WAF_PER_ADDRESS = 6000
WAF_ADMIN_PER_ADDRESS = 300
WAF_RETRY_AFTER = "60"


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _table(suffix: str, key: str, indexes: dict[str, tuple[str, list[str]]], *, record: bool = True,
           ttl: str | None = None) -> dict[str, Any]:
    """A table named after the stack; `record` tables (contests, votes) are kept with the stack's
    deletion and recoverable to any second of 35 days."""
    keys = {key, *(index_key for index_key, _ in indexes.values())}
    properties: dict[str, Any] = {
        "TableName": _sub(f"${{AWS::StackName}}-{suffix}"),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in sorted(keys)],
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "SSESpecification": {"SSEEnabled": True},
    }
    if indexes:
        properties["GlobalSecondaryIndexes"] = [{
            "IndexName": name,
            "KeySchema": [{"AttributeName": index_key, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": fields},
        } for name, (index_key, fields) in indexes.items()]
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    if not record:
        return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
                "Properties": properties}
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    properties["DeletionProtectionEnabled"] = True
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


def tables() -> dict[str, Any]:
    from chalicelib.adapters.dynamodb import RECEIPT_FIELDS, SUMMARY_FIELDS, SUMMARY_INDEX

    return {
        "ContestsTable": _table("contests", "id", {SUMMARY_INDEX: ("id", SUMMARY_FIELDS)}),
        "VotesTable": _table("votes", "pk", {"receipt": ("receipt", RECEIPT_FIELDS)}),
        # eGov mobile's signing sessions: ten minutes of life, deleted a day later by the time to live.
        "SessionsTable": _table("sessions", "id", {}, record=False, ttl=SESSION_TTL_ATTRIBUTE),
        # Spent admin-login challenges: minutes of life, deleted by the time to live; nothing to keep.
        "ChallengesTable": _table("challenges", "nonce", {}, record=False, ttl=CHALLENGE_TTL_ATTRIBUTE),
    }


def _policy(logical_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    log_group = _sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:"
                     f"/aws/lambda/${{AWS::StackName}}-{spec['suffix']}")
    statements: list[dict[str, Any]] = [{
        "Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [{"Fn::Join": ["", [log_group, ":*"]]}],
    }]
    for table, actions in spec["tables"].items():
        statements.append({"Sid": table.capitalize(), "Effect": "Allow", "Action": actions,
                           "Resource": [TABLE_ARNS[table]]})
    if spec["secret"]:
        statements.append({"Sid": "Secret", "Effect": "Allow", "Action": ["ssm:GetParameter"],
                           "Resource": [_sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:"
                                             f"parameter{SECRET_PARAMETER}")]})
    if spec["crl"] is not None:
        # The refresher writes the CRLs and the indexes; the others read the indexes only (one GET
        # by name each, no listing). Nobody else may write there: the bucket's rights are one of the
        # two guards of an index, its HMAC the other (README, "Revocation").
        writes = spec["crl"] == "write"
        objects = {"Fn::Join": ["", [{"Fn::GetAtt": ["CrlBucket", "Arn"]},
                                     f"/{CRL_PREFIX}{'' if writes else CRL_INDEX_FOLDER}*"]]}
        statements.append({"Sid": "CrlObjects", "Effect": "Allow",
                           "Action": ["s3:GetObject"] + (["s3:PutObject"] if writes else []), "Resource": [objects]})
    statements.append({"Sid": "Traces", "Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"})
    return {"PolicyName": f"{logical_id}LeastPrivilege",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


def _environment(spec: dict[str, Any]) -> dict[str, Any]:
    # The stack's name is the stage every log line and metric carries (the alarms look it up); the
    # Tracer's subsegments only where a run is long and rare (README, "Election-day operations").
    variables: dict[str, Any] = {"VOTING_TABLE_PREFIX": _sub("${AWS::StackName}-"),
                                 "VOTING_STACK": _sub("${AWS::StackName}")}
    if spec.get("traced"):
        variables["VOTING_TRACING"] = "on"
    if spec["crl"] is not None:
        variables.update(VOTING_CRL_BUCKET={"Ref": "CrlBucket"}, VOTING_CRL_PREFIX=CRL_PREFIX)
    if spec["secret"]:
        variables["VOTING_SECRET_PARAM"] = _sub(SECRET_PARAMETER)
    if spec["admins"]:
        variables["VOTING_ADMIN_IINS"] = {"Ref": "AdminIins"}
    return variables


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
                         "Resource": [TABLE_ARNS["votes"]]},
                        {"Sid": "Contests", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Scan"],
                         "Resource": [TABLE_ARNS["contests"], TABLE_ARNS["summaries"]]}]}}],
            },
        },
    }


def _function_arn(logical_id: str) -> dict[str, str]:
    return _sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                f"${{{logical_id}.Arn}}/invocations")


def _resource_path(path: str) -> str:
    """A route as API Gateway's method settings name it: '/' encoded as '~1'."""
    return "/" + path.lstrip("/").replace("/", "~1")


def api_resources(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The commission's routes integrated with its own function; throttling per method."""
    admin_paths = {path: methods for path, methods in routes.items()
                   if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")}
    paths = {path: {method.lower(): {"x-amazon-apigateway-integration": {"uri": _function_arn(ADMIN_FUNCTION)}}
                    for method in methods} for path, methods in admin_paths.items()}
    settings = [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": THROTTLE_DEFAULT[0],
                 "ThrottlingBurstLimit": THROTTLE_DEFAULT[1]}]
    limits = {**{(path, method): THROTTLE_ADMIN for path, methods in admin_paths.items() for method in methods},
              **THROTTLE}
    settings += [{"ResourcePath": _resource_path(path), "HttpMethod": method, "ThrottlingRateLimit": rate,
                  "ThrottlingBurstLimit": burst} for (path, method), (rate, burst) in sorted(limits.items())]
    return {
        # Named after the stack (API Gateway's metrics go by this name), traced by X-Ray.
        "RestAPI": {"Properties": {"Name": _sub("${AWS::StackName}"), "TracingEnabled": True,
                                   "DefinitionBody": {"paths": paths,
                                                      "x-amazon-apigateway-gateway-responses": gateway_responses()},
                                   "MethodSettings": settings}},
        f"{ADMIN_FUNCTION}InvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {"FunctionName": {"Fn::GetAtt": [ADMIN_FUNCTION, "Arn"]}, "Action": "lambda:InvokeFunction",
                           "Principal": "apigateway.amazonaws.com",
                           "SourceArn": _sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                                             f"${{RestAPI}}/*/*{ADMIN_PREFIX}*")},
        },
    }


# API Gateway's own answers, which never reach a function: no Authorization header on an admin
# route, the authorizer's Deny, a path or method the API does not have, and its 5xx (a function
# that timed out or was throttled). Each gets the contract's body, status and security headers
# instead of API Gateway's `{"message": ...}`.
GATEWAY_RESPONSES = {"UNAUTHORIZED": "unauthorized", "ACCESS_DENIED": "forbidden",
                     "MISSING_AUTHENTICATION_TOKEN": "not_found", "DEFAULT_5XX": "unavailable",
                     "THROTTLED": "unavailable"}
# The stage's throttling keeps API Gateway's 429, as the WAF's does: the pages wait and resend on it.
GATEWAY_STATUS = {"THROTTLED": 429}


def gateway_responses() -> dict[str, Any]:
    """`x-amazon-apigateway-gateway-responses` of the API's definition (deployed with it)."""
    from chalicelib.adapters.http import EVERY_ANSWER, NO_STORE, RETRY_AFTER_SECONDS
    from chalicelib.voting.rejection import message_for, status_for

    def answer(kind: str, code: str) -> dict[str, Any]:
        headers = {**EVERY_ANSWER, "Cache-Control": NO_STORE,
                   **({"WWW-Authenticate": "Bearer"} if code == "unauthorized" else {}),
                   **({"Retry-After": RETRY_AFTER_SECONDS} if code == "unavailable" else {})}
        body = json.dumps({"error": code, "message": message_for(code)}, ensure_ascii=False)
        # The extension's statusCode is a string (API Gateway's OpenAPI reference).
        return {"statusCode": str(GATEWAY_STATUS.get(kind, status_for(code))),
                "responseParameters": {f"gatewayresponse.header.{name}": f"'{value}'"
                                       for name, value in headers.items()},
                "responseTemplates": {"application/json": body}}

    return {kind: answer(kind, code) for kind, code in GATEWAY_RESPONSES.items()}


def waf_resources() -> dict[str, Any]:
    """A web ACL on the API's stage: per client address, at most WAF_PER_ADDRESS requests in five
    minutes (the commission's routes WAF_ADMIN_PER_ADDRESS); beyond, 429 with Retry-After and the
    catalogue's `unavailable` answer, which the pages retry."""
    from chalicelib.voting.rejection import message_for

    body = json.dumps({"error": "unavailable", "message": message_for("unavailable")}, ensure_ascii=False)

    def rate_rule(name: str, priority: int, limit: int, scope: dict[str, Any] | None = None) -> dict[str, Any]:
        statement: dict[str, Any] = {"Limit": limit, "EvaluationWindowSec": WAF_WINDOW_SECONDS,
                                     "AggregateKeyType": "IP"}
        if scope:
            statement["ScopeDownStatement"] = scope
        return {"Name": name, "Priority": priority, "Statement": {"RateBasedStatement": statement},
                "Action": {"Block": {"CustomResponse": {
                    "ResponseCode": 429, "CustomResponseBodyKey": "unavailable",
                    "ResponseHeaders": [{"Name": "Retry-After", "Value": WAF_RETRY_AFTER}]}}},
                "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                     "MetricName": name}}

    admin_paths = {"ByteMatchStatement": {"SearchString": f"/{API_STAGE}{ADMIN_PREFIX}", "PositionalConstraint":
                                          "STARTS_WITH", "FieldToMatch": {"UriPath": {}},
                                          "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
    return {
        "WebAcl": {"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Name": _sub("${AWS::StackName}-edge"), "Scope": "REGIONAL", "DefaultAction": {"Allow": {}},
            "CustomResponseBodies": {"unavailable": {"ContentType": "APPLICATION_JSON", "Content": body}},
            "Rules": [rate_rule("AdminPerAddress", 0, WAF_ADMIN_PER_ADDRESS, admin_paths),
                      rate_rule("PerAddress", 1, WAF_PER_ADDRESS)],
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                 "MetricName": "VotingEdge"}}},
        "WebAclAssociation": {"Type": "AWS::WAFv2::WebACLAssociation", "DependsOn": f"RestAPI{API_STAGE}Stage",
                              "Properties": {"WebACLArn": {"Fn::GetAtt": ["WebAcl", "Arn"]},
                                             "ResourceArn": _sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::"
                                                                 f"/restapis/${{RestAPI}}/stages/{API_STAGE}")}},
    }


PARAMETERS = {
    "CommissionPrincipals": {
        "Type": "CommaDelimitedList",
        "Description": "IAM ARNs of the commission members (users or roles) who may assume the audit role, "
                       "with MFA, and so open the sealed evidence"},
    "AdminIins": {
        "Type": "String", "NoEcho": True, "AllowedPattern": "^[0-9]{12}(,[0-9]{12})*$",
        "Description": "IINs of the commission members who may sign in to the admin page, comma-separated "
                       "(personal data: kept out of the repository, hidden in the console)",
        "ConstraintDescription": "one or more 12-digit IINs separated by commas, no spaces"},
}


def merge_template(routes: dict[str, dict[str, Any]], stage: dict[str, Any]) -> dict[str, Any]:
    """What `chalice package` merges into its template; `stage` is the prod stage of
    `.chalice/config.json` (the functions' timeouts and reserved concurrency, for the alarms)."""
    resources: dict[str, Any] = {
        **tables(),
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
        resources[logical_id] = {"Properties": {"FunctionName": _sub(f"${{AWS::StackName}}-{spec['suffix']}"),
                                                "Environment": {"Variables": _environment(spec)}}}
        resources[f"{logical_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": _sub(f"/aws/lambda/${{AWS::StackName}}-{spec['suffix']}"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        }
        resources[spec["role"]] = {"Properties": {"Policies": [_policy(logical_id, spec)]}}
    resources.update(api_resources(routes))
    resources.update(waf_resources())
    resources.update(evidence_resources())
    resources.update(operations.resources(FUNCTIONS, stage))
    return {
        "Parameters": {**PARAMETERS, **operations.PARAMETERS},
        "Conditions": operations.CONDITIONS,
        "Resources": resources,
        "Outputs": {
            "ContestsTableName": {"Value": {"Ref": "ContestsTable"}},
            "VotesTableName": {"Value": {"Ref": "VotesTable"}},
            "SessionsTableName": {"Value": {"Ref": "SessionsTable"}},
            "TablePrefix": {"Value": _sub("${AWS::StackName}-"),
                            "Description": "VOTING_TABLE_PREFIX for manage.py against this stack"},
            "SecretParameterName": {"Value": _sub(SECRET_PARAMETER),
                                    "Description": "the service secret goes here (SSM SecureString) before any vote"},
            "CrlBucketName": {"Value": {"Ref": "CrlBucket"}},
            "EvidenceKeyArn": {"Value": {"Fn::GetAtt": ["EvidenceKey", "Arn"]}},
            "CommissionAuditRoleArn": {"Value": {"Fn::GetAtt": [AUDIT_ROLE, "Arn"]}},
            **operations.OUTPUTS,
        },
    }


VOTE_FUNCTION = "api_handler"  # Chalice's name for the voters' function
DEFAULT_GRACE_SECONDS = 120.0  # chalicelib.settings: VOTING_CLOSE_GRACE_SECONDS


def grace_problems(config: dict[str, Any]) -> list[str]:
    """Stages of a `.chalice/config.json` whose closing grace does not exceed the vote function's
    timeout: a vote accepted just before `closes_at` could still be in flight when counting starts."""
    problems = []
    for name, stage in config.get("stages", {}).items():
        env = stage_variables(config, name)
        grace = float(env.get("VOTING_CLOSE_GRACE_SECONDS") or DEFAULT_GRACE_SECONDS)
        timeout = operations.lambda_timeout(VOTE_FUNCTION, stage,
                                            config.get("lambda_timeout", operations.DEFAULT_LAMBDA_TIMEOUT))
        if grace <= timeout:
            problems.append(f"stage {name}: grace {grace:g} s does not exceed the vote function's timeout {timeout} s")
    return problems


def stage_problems(settings: dict[str, str], project: Path, now: datetime) -> list[str]:
    """Why the prod stage could not work as configured; each names what to put where."""
    from chalicelib.adapters.pki_folders import trust_from_folder

    problems = []
    trust_dir = project / settings.get("VOTING_TRUST_DIR", "chalicelib/trust/prod")
    try:
        anchors = trust_from_folder(trust_dir).anchors
    except ConfigurationError as error:
        problems.append(f"stage {STAGE}: no trust anchors ({error}): every vote would get 503; put the NCA "
                        f"production roots and issuing CAs in {trust_dir.relative_to(project)}/ (README: deploying)")
    else:
        problems += [f"stage {STAGE}: trust anchor {a.subject_text[:80]!r} is not valid now (until "
                     f"{a.not_after:%Y-%m-%d}): replace it" for a in anchors if not a.not_before <= now <= a.not_after]
    urls = [u.strip() for u in settings.get("VOTING_CRL_URLS", "").split(",") if u.strip()]
    if not urls:
        problems.append(f"stage {STAGE}: VOTING_CRL_URLS is empty: no CRL would be fetched, so no revoked key "
                        "could be refused; list the CAs' base and delta CRLs (README: deploying)")
    problems += [f"stage {STAGE}: VOTING_CRL_URLS: {u[:80]!r} is not an http(s) URL" for u in urls
                 if not u.startswith(("http://", "https://"))]
    for name, why in (("VOTING_SECRET", "the secret lives in SSM only (VOTING_SECRET_PARAM, set by the template)"),
                      ("VOTING_DYNAMODB_ENDPOINT", "AWS's DynamoDB needs no endpoint"),
                      ("VOTING_TABLE_PREFIX", "table names follow the stack's name"),
                      ("VOTING_ADMIN_IINS", "the admins are the stack's AdminIins parameter"),
                      ("VOTING_CRL_OPTIONAL", "signers under those CAs would vote without any revocation check "
                                              "(development only)")):
        if settings.get(name):
            problems.append(f"stage {STAGE}: {name} must not be set: {why}")
    return problems


def evidence_key_problem(settings: dict[str, str]) -> tuple[str, str] | None:
    """("error" | "warning", text) when the stage's VOTING_EVIDENCE_KEY is wrong or still empty."""
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
    for name in config.get("stages", {}):
        env = stage_variables(config, name)
        mobile: dict[str, str] = {key: env[key] for key in ("VOTING_PUBLIC_URL", "VOTING_ORGANISATION") if key in env}
        try:
            Settings.from_environment(mobile)
        except ConfigurationError as error:
            problems.append(f"stage {name}: {error}")
            continue
        if name == STAGE and mobile.get("VOTING_PUBLIC_URL") and not mobile["VOTING_PUBLIC_URL"].startswith("https://"):
            problems.append(f"stage {name}: VOTING_PUBLIC_URL must be the API's public https address")
    return problems


def chalice_config(project: Path = ROOT) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((project / ".chalice" / "config.json").read_text())
    return config


def stage_settings(project: Path = ROOT) -> dict[str, str]:
    return stage_variables(chalice_config(project), STAGE)


def app_routes(project: Path) -> dict[str, dict[str, Any]]:
    """The app's routes, path → methods (what API Gateway will route)."""
    code = "import json, app; print(json.dumps({p: sorted(m) for p, m in app.app.routes.items()}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True,  # noqa: S603
                          check=True, env={**os.environ, "PYTHONPATH": str(project)})
    routes: dict[str, dict[str, Any]] = {path: dict.fromkeys(methods) for path, methods in
                                         json.loads(done.stdout.splitlines()[-1]).items()}
    return routes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Package the prod stage for CloudFormation.")
    parser.add_argument("--out", default=str(ROOT / "build"))
    parser.add_argument("--project", default=str(ROOT), help="the Chalice project (default: this checkout)")
    args = parser.parse_args(argv)
    project = Path(args.project).resolve()
    settings = stage_settings(project)
    config = chalice_config(project)
    problems = (grace_problems(config) + public_url_problems(config)
                + stage_problems(settings, project, datetime.now(UTC)))
    key_problem = evidence_key_problem(settings)
    if key_problem is not None and key_problem[0] == "error":
        problems.append(key_problem[1])
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"error: {len(problems)} problem(s): nothing was packaged", file=sys.stderr)
        return 2
    if key_problem is not None:
        print(f"{key_problem[0]}: {key_problem[1]}", file=sys.stderr)
    if not settings.get("VOTING_PUBLIC_URL"):
        print(f"note: stage {STAGE} has no VOTING_PUBLIC_URL (and VOTING_ORGANISATION): the page offers no eGov "
              "mobile signing until they are set (README, Deploying to AWS)", file=sys.stderr)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    merge = out / "resources.json"
    template = merge_template(app_routes(project), config["stages"][STAGE])
    merge.write_text(json.dumps(template, indent=2, ensure_ascii=False))
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")}
    chalice = str(Path(sys.executable).parent / "chalice")
    subprocess.run([chalice, "package", "--stage", STAGE, "--merge-template", str(merge), str(out)],  # noqa: S603
                   cwd=project, env=env, check=True)
    print(f"wrote {out / 'sam.json'} and {out / 'deployment.zip'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
