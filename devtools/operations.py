"""Election-day operations in the prod template: the on-call's SNS topic, the alarms that page it,
and the dashboard the commission's operators watch (README, "Election-day runbook").

Every metric of the service comes from `chalicelib/adapters/metrics.py` (namespace `Voting`, one
dimension `stage` = the stack's name, set on every function as `VOTING_STACK`); the others are
AWS's own (API Gateway, Lambda, DynamoDB, WAF). Thresholds, periods and what each alarm means are
here once; the runbook says what to do about each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters import metrics

TOPIC = "OnCallTopic"
DASHBOARD = "ElectionDashboard"
STACK = "${AWS::StackName}"
API_NAME = STACK  # the RestAPI's Name (devtools/package.py: api_resources), API Gateway's ApiName
EDGE_ACL = f"{STACK}-edge"  # devtools/package.py: waf_resources
TABLES = {"contests": "ContestsTable", "votes": "VotesTable", "sessions": "SessionsTable"}
PERIOD = 60  # seconds: API Gateway, Lambda and EMF metrics are per minute

# Rates as percentages of API Gateway's requests, once there are enough requests to mean anything.
MIN_REQUESTS = 100  # a minute with fewer requests never alarms on a rate
ERROR_RATE_PERCENT = 1.0
UNAVAILABLE_RATE_PERCENT = 1.0
GATEWAY_REFUSALS_PER_MINUTE = 100  # 4xx API Gateway answered itself (throttling, unknown paths, the authorizer)
EDGE_BLOCKED_PER_MINUTE = 200  # requests the WAF's rate rules blocked (429)
NEAR = 0.8  # "near" a limit: 80 % of a function's timeout or of its reserved concurrency
TALLY_LATE_SECONDS = 300  # a contest still untallied five minutes after closes_at + grace
CRL_REFRESH_PERIOD = 900  # the refresher's schedule (routes/schedules.py)
# Two days without a newer list from one of the CAs: past any publication interval of the NCA seen
# in the `crl_index_written` lines (deltas within hours, bases within a day).
INDEX_AGE_HOURS = 48
# The scheduled functions, by their schedule's period: one run a period, so one duration each.
SCHEDULED = {"CloseContests": PERIOD, "RefreshCrls": CRL_REFRESH_PERIOD}
DYNAMODB_THROTTLES_PER_MINUTE = 1


def _dimension(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Value": {"Fn::Sub": value}}


def _stage() -> list[dict[str, Any]]:
    return [_dimension(metrics.DIMENSION, STACK)]


def _function_name(suffix: str) -> str:
    return f"{STACK}-{suffix}"


def config_name(logical_id: str) -> str:
    """Chalice's name of a function (`.chalice/config.json: lambda_functions`) from its logical id."""
    return "api_handler" if logical_id == "APIHandler" else re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id).lower()


DEFAULT_LAMBDA_TIMEOUT = 60  # Chalice's default when neither the function, its stage nor the project sets one


def lambda_timeout(function: str, stage: dict[str, Any], project_default: int = DEFAULT_LAMBDA_TIMEOUT) -> int:
    """The timeout (seconds) Chalice gives `function` (its config name) in `stage`: the function's
    own, else the stage's, else the project's."""
    scoped = stage.get("lambda_functions", {}).get(function, {})
    return int(scoped.get("lambda_timeout", stage.get("lambda_timeout", project_default)))


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str  # with ${AWS::StackName}
    timeout: int  # seconds
    reserved: int | None  # reserved concurrency


def functions(specs: dict[str, dict[str, Any]], stage: dict[str, Any]) -> list[Function]:
    """The template's functions with their timeout and reserved concurrency, as the prod stage of
    `.chalice/config.json` sets them (the one place for those numbers)."""
    found = []
    for logical_id, spec in specs.items():
        name = config_name(logical_id)
        found.append(Function(logical_id, _function_name(spec["suffix"]), lambda_timeout(name, stage),
                              stage.get("lambda_functions", {}).get(name, {}).get("reserved_concurrency")))
    return found


@dataclass
class Alarm:
    """One CloudWatch alarm: a metric (or a metric-math expression over several) against a threshold."""

    name: str  # the alarm is `<stack>-<name>`; its logical id `<name>Alarm`
    meaning: str  # the AlarmDescription: what is wrong, in the operators' words
    threshold: float
    period: int = PERIOD
    evaluation: int = 1  # periods looked at
    datapoints: int = 1  # of which breaching, to alarm
    comparison: str = "GreaterThanOrEqualToThreshold"
    missing: str = "notBreaching"  # most metrics are counts: no data = nothing happened
    metric: dict[str, Any] | None = None  # MetricName, Namespace, Dimensions, Statistic or ExtendedStatistic
    expression: str | None = None  # metric math over `inputs` (ids m1, m2, …)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def resource(self) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "AlarmName": {"Fn::Sub": f"{STACK}-{self.name}"}, "AlarmDescription": {"Fn::Sub": self.meaning},
            "ActionsEnabled": True, "AlarmActions": [{"Ref": TOPIC}], "OKActions": [{"Ref": TOPIC}],
            "Threshold": self.threshold, "ComparisonOperator": self.comparison,
            "EvaluationPeriods": self.evaluation, "DatapointsToAlarm": self.datapoints,
            "TreatMissingData": self.missing,
        }
        if self.expression is None:
            assert self.metric is not None
            properties.update({key: value for key, value in self.metric.items()}, Period=self.period)
        else:
            queries: list[dict[str, Any]] = [
                {"Id": f"m{n}", "ReturnData": False,
                 "MetricStat": {"Metric": {key: value for key, value in stat.items() if key != "Stat"},
                                "Period": self.period, "Stat": stat["Stat"]}}
                for n, stat in enumerate(self.inputs, start=1)]
            queries.append({"Id": "e1", "Expression": self.expression, "Label": self.name, "ReturnData": True})
            properties["Metrics"] = queries
        return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def _service(name: str, statistic: str = "Sum") -> dict[str, Any]:
    key = "ExtendedStatistic" if statistic.startswith("p") else "Statistic"
    return {"Namespace": metrics.NAMESPACE, "MetricName": name, "Dimensions": _stage(), key: statistic}


def _aws(namespace: str, name: str, dimensions: dict[str, str], statistic: str = "Sum") -> dict[str, Any]:
    key = "ExtendedStatistic" if statistic.startswith("p") else "Statistic"
    return {"Namespace": namespace, "MetricName": name,
            "Dimensions": [_dimension(key_, value) for key_, value in dimensions.items()], key: statistic}


def _stat(metric: dict[str, Any], stat: str = "Sum") -> dict[str, Any]:
    """A metric as a metric-math input."""
    return {"Namespace": metric["Namespace"], "MetricName": metric["MetricName"], "Dimensions": metric["Dimensions"],
            "Stat": stat}


def _api(name: str, statistic: str = "Sum") -> dict[str, Any]:
    return _aws("AWS/ApiGateway", name, {"ApiName": API_NAME, "Stage": "api"}, statistic)


def _lambda(function: Function, name: str, statistic: str = "Sum") -> dict[str, Any]:
    return _aws("AWS/Lambda", name, {"FunctionName": function.name}, statistic)


def alarms(all_functions: list[Function]) -> list[Alarm]:
    rate = f"IF(m2 >= {MIN_REQUESTS}, 100 * m1 / m2, 0)"
    found = [
        Alarm("ApiErrorRate", f"More than {ERROR_RATE_PERCENT:g}% of the API's answers are 5xx (503s of the service, "
              "and 502/504 when a function fails or times out), 3 of the last 5 minutes",
              ERROR_RATE_PERCENT, evaluation=5, datapoints=3, comparison="GreaterThanThreshold",
              expression=rate, inputs=[_stat(_api("5XXError")), _stat(_api("Count"))]),
        Alarm("ServiceUnavailableRate", f"More than {UNAVAILABLE_RATE_PERCENT:g}% of the requests got the service's "
              "503 (storage, revocation, configuration: the dashboard's '503s by cause'), 3 of the last 5 minutes",
              UNAVAILABLE_RATE_PERCENT, evaluation=5, datapoints=3, comparison="GreaterThanThreshold",
              expression=rate, inputs=[_stat(_service(metrics.UNAVAILABLE)), _stat(_api("Count"))]),
        Alarm("ApiThrottling", f"API Gateway itself refuses more than {GATEWAY_REFUSALS_PER_MINUTE} requests a minute "
              "(its 4xx minus the service's own: stage throttling's 429, unknown paths, the authorizer's denials), "
              "3 of the last 5 minutes", GATEWAY_REFUSALS_PER_MINUTE, evaluation=5, datapoints=3,
              comparison="GreaterThanThreshold", expression="m1 - m2",
              inputs=[_stat(_api("4XXError")), _stat(_service(metrics.CLIENT_ERRORS))]),
        Alarm("EdgeBlocking", f"The WAF's rate rules block more than {EDGE_BLOCKED_PER_MINUTE} requests a minute "
              "(one address over its limit: a flood, or a carrier's NAT), 3 of the last 5 minutes",
              EDGE_BLOCKED_PER_MINUTE, evaluation=5, datapoints=3, comparison="GreaterThanThreshold",
              metric=_aws("AWS/WAFV2", "BlockedRequests", {"WebACL": EDGE_ACL, "Rule": "ALL",
                                                           "Region": "${AWS::Region}"})),
    ]
    for function in all_functions:
        found.append(Alarm(f"{function.logical_id}Errors", f"{function.name}: the function failed (the service "
                           "answers 503 rather than raise: an error is a crash, a timeout or out of memory)",
                           1, period=300, metric=_lambda(function, "Errors")))
        near_timeout = round(NEAR * function.timeout * 1000)
        if function.logical_id in SCHEDULED:  # one run a period: a run near its timeout is enough
            window: dict[str, Any] = {"period": SCHEDULED[function.logical_id]}
            when = "in a run"
        else:
            window, when = {"evaluation": 5, "datapoints": 3}, "3 of the last 5 minutes"
        found.append(Alarm(f"{function.logical_id}DurationNearTimeout", f"{function.name}: p99 duration above "
                           f"{near_timeout} ms, {NEAR:.0%} of its {function.timeout} s timeout, {when}",
                           near_timeout, comparison="GreaterThanThreshold",
                           metric=_lambda(function, "Duration", "p99"), **window))
        if function.reserved and function.reserved > 1:
            near_limit = max(1, int(NEAR * function.reserved))
            found.append(Alarm(f"{function.logical_id}ConcurrencyNearLimit", f"{function.name}: {near_limit} or more "
                               f"running at once, {NEAR:.0%} of its reserved {function.reserved}, 3 minutes in a row",
                               near_limit, evaluation=3, datapoints=3,
                               metric=_lambda(function, "ConcurrentExecutions", "Maximum")))
            found.append(Alarm(f"{function.logical_id}Throttles", f"{function.name}: requests refused at its reserved "
                               f"concurrency ({function.reserved}), 2 of the last 3 minutes", 1, evaluation=3,
                               datapoints=2, metric=_lambda(function, "Throttles")))
    found += [
        Alarm("RevocationStale", "Votes were checked against a CA's revocation list past its nextUpdate (still "
              "within VOTING_CRL_TOLERANCE_HOURS): the refresher is not getting a newer one",
              1, period=300, metric=_service(metrics.REVOCATION_STALE)),
        Alarm("RevocationUnavailable", "Votes get 503: a CA's revocation list is stale beyond the tolerance, or "
              "missing (fail closed)", 1, expression="m1 + m2",
              inputs=[_stat(_service(metrics.REVOCATION_STALE_BEYOND)), _stat(_service(metrics.REVOCATION_MISSING))]),
        Alarm("RevocationIndexProblem", "A CA's revocation index could not be used or written: a vote function "
              "found it unreachable, refused (altered, another key), older than the one it holds (a rollback) or "
              "missing; or the refresher could not write it", 1, period=CRL_REFRESH_PERIOD,
              expression=" + ".join(f"m{n}" for n in range(1, len(metrics.INDEX_PROBLEMS) + 2)),
              inputs=[_stat(_service(metrics.index_problem(kind))) for kind in metrics.INDEX_PROBLEMS]
              + [_stat(_service(metrics.REVOCATION_INDEX_PROBLEM))]),
        Alarm("CrlRefreshFailing", "The CRL refresher could not fetch or verify a CRL in two runs in a row",
              1, period=CRL_REFRESH_PERIOD, evaluation=2, datapoints=2,
              metric=_service(metrics.REVOCATION_REFRESH_FAILED)),
        Alarm("RevocationIndexOld", f"The oldest CA's newest revocation list is over {INDEX_AGE_HOURS} h old, or the "
              "refresher has reported none for two runs: a key revoked today may still vote", INDEX_AGE_HOURS * 3600,
              period=CRL_REFRESH_PERIOD, evaluation=2, datapoints=2, comparison="GreaterThanThreshold",
              missing="breaching", metric=_service(metrics.REVOCATION_INDEX_AGE, "Maximum")),
        Alarm("CrlSourceSuspect", "A CA's distribution point served a list already past its nextUpdate, or one older "
              "than the index holds (a stale mirror, or a replay)", 1, period=CRL_REFRESH_PERIOD, expression="m1 + m2",
              inputs=[_stat(_service(metrics.REVOCATION_SOURCE_STALE)),
                      _stat(_service(metrics.REVOCATION_SOURCE_OLDER))]),
        Alarm("CloserNotRunning", "The closer (every minute) has not run for 5 minutes: no contest closes or tallies",
              1, period=300, comparison="LessThanThreshold", missing="breaching",
              metric=_service(metrics.CLOSER_RUNS)),
        Alarm("TallyFailed", "A tally failed (the contest stays closed; the next minute's run tries again)",
              1, metric=_service(metrics.TALLY_FAILED)),
        Alarm("TallyLate", f"A contest is still untallied {TALLY_LATE_SECONDS} s after closes_at + grace, "
              "3 minutes in a row", TALLY_LATE_SECONDS, evaluation=3, datapoints=3, comparison="GreaterThanThreshold",
              metric=_service(metrics.TALLY_OVERDUE, "Maximum")),
    ]
    throttles = [_stat(_aws("AWS/DynamoDB", event, {"TableName": f"${{{table}}}"}))
                 for table in TABLES.values() for event in ("ReadThrottleEvents", "WriteThrottleEvents")]
    found.append(Alarm("DynamoDbThrottling", "DynamoDB throttled reads or writes of the contests, votes or "
                       "sessions (an on-demand table past twice its previous peak), 2 of the last 3 minutes",
                       DYNAMODB_THROTTLES_PER_MINUTE, evaluation=3, datapoints=2,
                       expression=" + ".join(f"m{n}" for n in range(1, len(throttles) + 1)), inputs=throttles))
    return found


# The dashboard

def _line(namespace: str, name: str, dimensions: dict[str, str], stat: str = "Sum",
          label: str | None = None) -> list[Any]:
    row: list[Any] = [namespace, name]
    for key, value in dimensions.items():
        row += [key, value]
    options: dict[str, Any] = {"stat": stat}
    if label:
        options["label"] = label
    return [*row, options]


def _ours(name: str, stat: str = "Sum", label: str | None = None) -> list[Any]:
    return _line(metrics.NAMESPACE, name, {metrics.DIMENSION: STACK}, stat, label)


def _graph(title: str, lines: list[list[Any]], *, unit: str = "", annotations: list[dict[str, Any]] | None = None,
           stacked: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {"title": title, "region": "${AWS::Region}", "view": "timeSeries",
                                  "stacked": stacked, "period": PERIOD, "metrics": lines}
    if unit:
        properties["yAxis"] = {"left": {"label": unit, "showUnits": False}}
    if annotations:
        properties["annotations"] = {"horizontal": annotations}
    return {"type": "metric", "properties": properties}


def widgets(all_functions: list[Function], alarm_names: list[str]) -> list[dict[str, Any]]:
    """The election dashboard, row by row: votes, the API, the functions, revocation and the closer."""
    api = {"ApiName": API_NAME, "Stage": "api"}
    found = [
        _graph("Votes a minute", [_ours(metrics.VOTE_ACCEPTED, label="accepted (201)"),
                                  _ours(metrics.VOTE_RETRIED, label="retried (200, same receipt)"),
                                  _ours(metrics.vote_rejected("already_voted"), label="already voted (409)")]),
        _graph("Refusals of a ballot, by code", [_ours(metrics.vote_rejected(code), label=code)
                                                 for code in metrics.refusal_codes()], stacked=True),
        _graph("Receipt requests (signed): recovered, refused by code",
               [_ours(metrics.RECEIPT_RECOVERED, label="recovered (200)")]
               + [_ours(metrics.receipt_request_rejected(code), label=code) for code in metrics.refusal_codes()],
               stacked=True),
        _graph("503s by cause", [_ours(metrics.unavailable(cause), label=cause) for cause in metrics.CAUSES],
               stacked=True),
        {"type": "alarm", "properties": {"title": "Alarms", "alarms": [
            f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{STACK}-{name}"
            for name in alarm_names], "sortBy": "stateUpdatedTimestamp", "states": []}},
        _graph("API Gateway: requests and errors", [_line("AWS/ApiGateway", name, api) for name in
                                                    ("Count", "4XXError", "5XXError")]),
        _graph("API Gateway: latency", [_line("AWS/ApiGateway", "Latency", api, stat, f"latency {stat}")
                                        for stat in ("p50", "p99")]
               + [_line("AWS/ApiGateway", "IntegrationLatency", api, "p99", "integration p99")], unit="ms"),
        _graph("Verification time per algorithm (p99)", [_ours(metrics.verification_ms(algorithm), "p99", algorithm)
                                                         for algorithm in metrics.algorithms()], unit="ms"),
        _graph("eGov mobile sessions", [_ours(metrics.MOBILE_CREATED, label="created"),
                                        _ours(metrics.MOBILE_SETTLED, label="settled"),
                                        _ours(metrics.MOBILE_EXPIRED, label="expired")]),
    ]
    reserved = [f for f in all_functions if f.reserved and f.reserved > 1]
    found += [
        _graph("Functions running at once (max)", [_line("AWS/Lambda", "ConcurrentExecutions",
                                                         {"FunctionName": f.name}, "Maximum", f.logical_id)
                                                   for f in all_functions],
               annotations=[{"label": f"{f.logical_id} reserved", "value": f.reserved} for f in reserved]),
        _graph("Function duration p99", [_line("AWS/Lambda", "Duration", {"FunctionName": f.name}, "p99", f.logical_id)
                                         for f in all_functions], unit="ms",
               annotations=[{"label": "vote function timeout", "value": f.timeout * 1000}
                            for f in all_functions if f.logical_id == "APIHandler"]),
        _graph("Function errors and throttles", [_line("AWS/Lambda", name, {"FunctionName": f.name}, "Sum",
                                                       f"{f.logical_id} {name.lower()}")
                                                 for f in all_functions for name in ("Errors", "Throttles")]),
        _graph("DynamoDB throttling", [_line("AWS/DynamoDB", event, {"TableName": f"${{{table}}}"}, "Sum",
                                             f"{short} {event}") for short, table in TABLES.items()
                                       for event in ("ReadThrottleEvents", "WriteThrottleEvents")]),
        _graph("Revocation", [_ours(metrics.REVOCATION_STALE, label="stale, within tolerance"),
                              _ours(metrics.REVOCATION_STALE_BEYOND, label="stale beyond tolerance (503)"),
                              _ours(metrics.REVOCATION_MISSING, label="no usable CRL (503)"),
                              _ours(metrics.REVOCATION_REFRESH_FAILED, label="refresh failed"),
                              _ours(metrics.REVOCATION_SOURCE_STALE, label="CA publishes a stale CRL"),
                              _ours(metrics.REVOCATION_SOURCE_OLDER, label="a source serves an older CRL"),
                              _ours(metrics.REVOCATION_INDEX_PROBLEM, label="index not written")]
               + [_ours(metrics.index_problem(kind), label=f"index {kind}") for kind in metrics.INDEX_PROBLEMS]),
        _graph("Revocation index age (oldest CA)", [_ours(metrics.REVOCATION_INDEX_AGE, "Maximum", "age")], unit="s"),
        _graph("Closer: runs, tallies, failures", [_ours(metrics.CLOSER_RUNS, label="runs"),
                                                   _ours(metrics.CONTESTS_TALLIED, label="tallied"),
                                                   _ours(metrics.TALLY_FAILED, label="failed")]),
        _graph("Tally duration and lateness (max)", [_ours(metrics.TALLY_DURATION, "Maximum", "tally duration"),
                                                     _ours(metrics.TALLY_OVERDUE, "Maximum", "most overdue")],
               unit="s", annotations=[{"label": "late", "value": TALLY_LATE_SECONDS}]),
        {"type": "text", "properties": {"markdown": "What each alarm means and what to do: the README's "
                                                    "\"Election-day runbook\". Personal data never appears here: "
                                                    "no IIN, name, serial or token in any metric or log line."}},
    ]
    width, height, columns = 8, 6, 3  # three widgets a row on a 24-unit grid
    for n, widget in enumerate(found):
        widget.update(x=(n % columns) * width, y=(n // columns) * height, width=width, height=height)
    return found


def resources(specs: dict[str, dict[str, Any]], stage: dict[str, Any]) -> dict[str, Any]:
    """The topic (and its e-mail subscription when `OnCallEmail` is given), the alarms, the dashboard."""
    all_functions = functions(specs, stage)
    all_alarms = alarms(all_functions)
    body = json.dumps({"widgets": widgets(all_functions, [alarm.name for alarm in all_alarms])}, ensure_ascii=False)
    found: dict[str, Any] = {
        TOPIC: {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": {"Fn::Sub": f"{STACK}-on-call"}, "DisplayName": "Voting on-call"}},
        "OnCallEmailSubscription": {"Type": "AWS::SNS::Subscription", "Condition": "HasOnCallEmail", "Properties": {
            "TopicArn": {"Ref": TOPIC}, "Protocol": "email", "Endpoint": {"Ref": "OnCallEmail"}}},
        DASHBOARD: {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
            "DashboardName": {"Fn::Sub": f"{STACK}-election"}, "DashboardBody": {"Fn::Sub": body}}},
    }
    for alarm in all_alarms:
        found[f"{alarm.name}Alarm"] = alarm.resource()
    return found


PARAMETERS = {
    "OnCallEmail": {
        "Type": "String", "Default": "", "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+$",
        "Description": "An address the alarms are mailed to (optional: subscribe pagers and chat to the "
                       "OnCallTopicArn output)",
        "ConstraintDescription": "one e-mail address, or empty"},
}
CONDITIONS = {"HasOnCallEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "OnCallEmail"}, ""]}]}}
OUTPUTS = {
    "OnCallTopicArn": {"Value": {"Ref": TOPIC}, "Description": "the alarms' SNS topic: subscribe the on-call here"},
    "DashboardName": {"Value": {"Ref": DASHBOARD}},
}
