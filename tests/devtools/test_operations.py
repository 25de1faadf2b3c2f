"""The template's election-day operations (devtools/operations.py): the on-call topic, the alarms
and the dashboard, built from the prod stage and the service's own metric names."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib.adapters import metrics
from chalicelib.voting.rejection import CODES, status_for
from devtools import operations
from devtools.package import FUNCTIONS, STAGE, chalice_config, merge_template

STAGE_CONFIG = chalice_config()["stages"][STAGE]


@pytest.fixture(scope="module")
def template() -> dict:
    return merge_template({"/admin": {"GET": None}, "/contests/{contest_id}/votes": {"POST": None}}, STAGE_CONFIG)


def alarms_of(template: dict) -> dict[str, dict]:
    return {r["Properties"]["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-"): r["Properties"]
            for r in template["Resources"].values() if r.get("Type") == "AWS::CloudWatch::Alarm"}


def metrics_read(alarm: dict) -> list[dict]:
    """The metrics an alarm reads: its own, or the inputs of its expression."""
    if "MetricName" in alarm:
        return [alarm]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


def dashboard(template: dict) -> list[dict]:
    body = template["Resources"][operations.DASHBOARD]["Properties"]["DashboardBody"]["Fn::Sub"]
    substituted = re.sub(r"\$\{[A-Za-z:]+\}", "x", body)  # what CloudFormation's Fn::Sub leaves: JSON
    widgets: list[dict] = json.loads(substituted)["widgets"]
    return widgets


def widget(template: dict, title: str) -> dict:
    [found] = [w for w in dashboard(template) if w["properties"].get("title") == title]
    return found


def names_in(found: dict) -> set[str]:
    return {line[1] for line in found["properties"]["metrics"]}


def test_the_template_holds_an_alarm_for_each_thing_the_on_call_must_hear_of(template):
    names = set(alarms_of(template))
    assert {"ApiErrorRate", "ServiceUnavailableRate", "ApiThrottling", "EdgeBlocking", "RevocationStale",
            "RevocationUnavailable", "RevocationIndexProblem", "RevocationIndexOld", "CrlSourceSuspect",
            "CrlRefreshFailing", "CloserNotRunning",
            "TallyFailed", "TallyLate", "DynamoDbThrottling"} <= names
    for function in FUNCTIONS:
        assert {f"{function}Errors", f"{function}DurationNearTimeout"} <= names
    assert {"APIHandlerConcurrencyNearLimit", "APIHandlerThrottles", "AdminApiConcurrencyNearLimit"} <= names


def test_every_alarm_tells_the_on_call_topic_when_it_fires_and_when_it_clears(template):
    for name, alarm in alarms_of(template).items():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": operations.TOPIC}], name
        assert alarm["AlarmDescription"]["Fn::Sub"], name


def test_the_topic_mails_the_on_call_only_when_an_address_is_given(template):
    assert template["Resources"][operations.TOPIC]["Type"] == "AWS::SNS::Topic"
    subscription = template["Resources"]["OnCallEmailSubscription"]
    assert subscription["Condition"] == "HasOnCallEmail" and subscription["Properties"]["Protocol"] == "email"
    assert template["Conditions"]["HasOnCallEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "OnCallEmail"}, ""]}]}
    assert template["Parameters"]["OnCallEmail"]["Default"] == ""
    assert template["Outputs"]["OnCallTopicArn"] == {"Value": {"Ref": operations.TOPIC},
                                                     "Description": "the alarms' SNS topic: subscribe the on-call here"}


def test_the_services_metrics_an_alarm_reads_exist_and_carry_only_the_stage(template):
    emitted = {value for name, value in vars(metrics).items() if name.isupper() and isinstance(value, str)}
    emitted |= {metrics.index_problem(kind) for kind in metrics.INDEX_PROBLEMS}
    for name, alarm in alarms_of(template).items():
        for metric in metrics_read(alarm):
            if metric["Namespace"] == metrics.NAMESPACE:
                assert metric["MetricName"] in emitted, name
                assert metric["Dimensions"] == [{"Name": "stage", "Value": {"Fn::Sub": "${AWS::StackName}"}}], name


def test_near_the_timeout_and_the_reserved_limit_follow_the_prod_stage(template):
    alarms = alarms_of(template)
    vote_function = STAGE_CONFIG["lambda_functions"]["api_handler"]
    assert alarms["APIHandlerDurationNearTimeout"]["Threshold"] == 0.8 * vote_function["lambda_timeout"] * 1000
    assert alarms["APIHandlerDurationNearTimeout"]["ExtendedStatistic"] == "p99"
    assert alarms["APIHandlerConcurrencyNearLimit"]["Threshold"] == int(0.8 * vote_function["reserved_concurrency"])
    refresher = alarms["RefreshCrlsDurationNearTimeout"]
    assert (refresher["Period"], refresher["EvaluationPeriods"]) == (operations.CRL_REFRESH_PERIOD, 1)


def test_a_closer_that_stops_reporting_is_an_alarm_not_silence(template):
    alarm = alarms_of(template)["CloserNotRunning"]
    assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        metrics.CLOSER_RUNS, "LessThanThreshold", "breaching")


def test_an_old_revocation_index_or_a_silent_refresher_is_an_alarm(template):
    alarm = alarms_of(template)["RevocationIndexOld"]
    assert (alarm["MetricName"], alarm["Statistic"], alarm["Threshold"], alarm["TreatMissingData"]) == (
        metrics.REVOCATION_INDEX_AGE, "Maximum", operations.INDEX_AGE_HOURS * 3600, "breaching")
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (operations.CRL_REFRESH_PERIOD, 2)


def test_rates_are_taken_over_api_gateways_requests_and_never_on_a_quiet_minute(template):
    alarm = alarms_of(template)["ServiceUnavailableRate"]
    assert [m["MetricName"] for m in metrics_read(alarm)] == [metrics.UNAVAILABLE, "Count"]
    [expression] = [q["Expression"] for q in alarm["Metrics"] if "Expression" in q]
    assert expression == f"IF(m2 >= {operations.MIN_REQUESTS}, 100 * m1 / m2, 0)"


def test_the_dashboard_shows_votes_refusals_by_code_and_503s_by_cause(template):
    assert names_in(widget(template, "Votes a minute")) == {
        metrics.VOTE_ACCEPTED, metrics.VOTE_RETRIED, metrics.vote_rejected("already_voted")}
    refusals = names_in(widget(template, "Refusals of a ballot, by code"))
    assert refusals == {metrics.vote_rejected(code) for code in CODES if 400 <= status_for(code) < 500}
    assert names_in(widget(template, "503s by cause")) == {metrics.unavailable(cause) for cause in metrics.CAUSES}


def test_the_dashboard_shows_receipt_requests_recovered_and_refused_by_code(template):
    assert names_in(widget(template, "Receipt requests (signed): recovered, refused by code")) == {
        metrics.RECEIPT_RECOVERED} | {metrics.receipt_request_rejected(code) for code in CODES
                                      if 400 <= status_for(code) < 500}


def test_the_dashboard_shows_verification_time_for_each_permitted_algorithm(template):
    times = names_in(widget(template, "Verification time per algorithm (p99)"))
    assert {"VerificationMs.RSA-SHA-256", "VerificationMs.GOST-34.10-2015-512", "VerificationMs.GOST-34.310-2004",
            "VerificationMs.ECDSA-SHA-256"} <= times


def test_the_dashboards_alarm_widget_lists_every_alarm(template):
    listed = widget(template, "Alarms")["properties"]["alarms"]
    assert [arn.rsplit(":alarm:x-", 1)[1] for arn in listed] == list(alarms_of(template))  # x: the stack


def test_the_dashboards_widgets_tile_the_grid_without_overlap(template):
    cells = set()
    for found in dashboard(template):
        for x in range(found["x"], found["x"] + found["width"]):
            for y in range(found["y"], found["y"] + found["height"]):
                assert (x, y) not in cells
                cells.add((x, y))
        assert found["x"] + found["width"] <= 24


def test_every_function_carries_the_stage_and_only_the_scheduled_ones_build_the_tracer(template):
    for logical_id in FUNCTIONS:
        variables = template["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        assert variables["VOTING_STACK"] == {"Fn::Sub": "${AWS::StackName}"}
        assert variables.get("VOTING_TRACING") == ("on" if logical_id in operations.SCHEDULED else None)


def test_the_api_stage_is_traced_and_named_after_the_stack(template):
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True and api["Name"] == {"Fn::Sub": "${AWS::StackName}"}
    assert STAGE_CONFIG["xray"] is True  # Chalice sets Tracing: Active on every function of the stage


def test_the_dashboard_shows_every_revocation_metric_and_the_index_age(template):
    shown = names_in(widget(template, "Revocation")) | names_in(widget(template, "Revocation index age (oldest CA)"))
    assert shown == {metrics.REVOCATION_STALE, metrics.REVOCATION_STALE_BEYOND, metrics.REVOCATION_MISSING,
                     metrics.REVOCATION_REFRESH_FAILED, metrics.REVOCATION_SOURCE_STALE,
                     metrics.REVOCATION_SOURCE_OLDER, metrics.REVOCATION_INDEX_PROBLEM, metrics.REVOCATION_INDEX_AGE,
                     *(metrics.index_problem(kind) for kind in metrics.INDEX_PROBLEMS)}
