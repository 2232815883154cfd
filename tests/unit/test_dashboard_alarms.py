"""The CloudWatch dashboard and alarms of template.yaml name only metrics that exist: the
DRSOrchestrator ones with exactly the dimensions orchestrator.notify.metrics emits, the AWS ones among those
AWS publishes for the resource they name; every alarm notifies the alarm topic."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from drs_sandbox.cfn import load_template
from orchestrator.notify.metrics import CATALOGUE, DIMENSION_VALUES, NAMESPACE

# What AWS publishes, per namespace: metric names and the dimension (and resource type) naming ours.
AWS_METRICS: dict[str, tuple[set[str], dict[str, str]]] = {
    "AWS/Lambda": (
        {"Errors", "Throttles", "Duration", "Invocations", "ConcurrentExecutions"},
        {"FunctionName": "AWS::Serverless::Function"},
    ),
    "AWS/States": (
        {
            "ExecutionsStarted",
            "ExecutionsSucceeded",
            "ExecutionsFailed",
            "ExecutionsTimedOut",
            "ExecutionsAborted",
            "ExecutionThrottled",
        },
        {"StateMachineArn": "AWS::Serverless::StateMachine"},
    ),
    "AWS/SQS": (
        {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesSent"},
        {"QueueName": "AWS::SQS::Queue"},
    ),
    "AWS/ApiGateway": (
        {"5XXError", "4XXError", "Count", "Latency", "IntegrationLatency"},
        {"ApiName": "AWS::Serverless::Api", "Stage": "AWS::Serverless::Api"},
    ),
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def resources_of(template: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == rtype}


def alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric name, {dimension: value as written in the template}) of an alarm."""
    props = alarm["Properties"]
    if "MetricName" in props:
        dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        return [(props["Namespace"], props["MetricName"], dims)]
    out = []
    for query in props["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            out.append((metric["Namespace"], metric["MetricName"], dims))
    return out


def api_dimensions(template: dict[str, Any]) -> dict[str, Any]:
    [api] = resources_of(template, "AWS::Serverless::Api").values()
    return {"ApiName": api["Properties"]["Name"], "Stage": api["Properties"]["StageName"]}


def check_metric(template: dict[str, Any], namespace: str, name: str, dims: dict[str, Any]) -> None:
    """Fails unless the metric exists (dimension values: template intrinsics or the dashboard's ${...})."""
    resources = template["Resources"]
    if namespace == NAMESPACE:
        assert name in CATALOGUE, f"{name} is not emitted by orchestrator.notify.metrics"
        assert tuple(dims) == CATALOGUE[name].dimensions, (
            f"{name} is emitted with {CATALOGUE[name].dimensions}"
        )
        for dim, value in dims.items():
            assert value in DIMENSION_VALUES[dim], f"{name}: {dim}={value} is never emitted"
        return
    assert namespace in AWS_METRICS, f"unexpected namespace {namespace}"
    names, dimension_types = AWS_METRICS[namespace]
    assert name in names, f"{namespace} publishes no {name} (allow-list)"
    assert set(dims) == set(dimension_types), f"{namespace} {name}: dimensions {sorted(dims)}"
    if namespace == "AWS/ApiGateway":
        expected = api_dimensions(template)
        for dim, value in dims.items():
            assert value in (expected[dim], _sub_text(expected[dim])), f"{dim}={value}"
        return
    [(dim, rtype)] = dimension_types.items()
    logical_id = _logical_id(dims[dim])
    assert resources.get(logical_id, {}).get("Type") == rtype, (
        f"{namespace} {name}: {dims[dim]} is no {rtype}"
    )


def _sub_text(value: Any) -> Any:
    return value.get("Fn::Sub") if isinstance(value, dict) else value


def _logical_id(value: Any) -> str:
    """The resource a dimension value names: {"Ref": X}, {"Fn::GetAtt": [X, ...]} or "${X}" / "${X.Attr}"."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    match = re.fullmatch(r"\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}", str(value))
    assert match, f"{value!r} names no resource"
    return match.group(1)


def test_every_alarm_names_an_existing_metric_and_notifies_the_alarm_topic(template: dict[str, Any]) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 7
    for logical_id, alarm in alarms.items():
        metrics = alarm_metrics(alarm)
        assert metrics, logical_id
        for namespace, name, dims in metrics:
            check_metric(template, namespace, name, dims)
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        queries = alarm["Properties"].get("Metrics", [])
        assert sum(1 for q in queries if q.get("ReturnData", True)) <= 1, logical_id


def test_the_alarms_cover_what_operators_watch(template: dict[str, Any]) -> None:
    named = {
        (namespace, name)
        for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values()
        for namespace, name, _ in alarm_metrics(alarm)
    }
    assert {
        (NAMESPACE, "ExecutionsFinished"),
        (NAMESPACE, "RtoMissed"),
        ("AWS/Lambda", "Errors"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionsTimedOut"),
        ("AWS/States", "ExecutionsAborted"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/ApiGateway", "5XXError"),
    } <= named
    outcomes = {
        dims["Outcome"]
        for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values()
        for namespace, name, dims in alarm_metrics(alarm)
        if name == "ExecutionsFinished"
    }
    assert outcomes == {"FAILED", "PARTIAL_SUCCESS"}
    functions = {
        _logical_id(dims["FunctionName"])
        for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values()
        for namespace, name, dims in alarm_metrics(alarm)
        if namespace == "AWS/Lambda"
    }
    assert functions == set(resources_of(template, "AWS::Serverless::Function"))


def test_alarms_publish_to_a_topic_encrypted_with_a_key_cloudwatch_may_use(template: dict[str, Any]) -> None:
    # CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed alias/aws/sns key.
    topic = template["Resources"]["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = template["Resources"]["AlarmTopicKey"]
    assert key["Type"] == "AWS::KMS::Key"
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
        and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(s["Action"])
        for s in statements
    )


def test_the_functions_use_the_namespace_the_alarms_name(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE


def dashboard_body(template: dict[str, Any]) -> tuple[dict[str, Any], str]:
    [dashboard] = resources_of(template, "AWS::CloudWatch::Dashboard").values()
    text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    assert isinstance(text, str)
    return json.loads(text), text


def test_the_dashboard_names_only_existing_metrics_and_resources(template: dict[str, Any]) -> None:
    body, text = dashboard_body(template)
    resources = template["Resources"]
    # Every ${...} of the Fn::Sub is a pseudo parameter or a resource (with an attribute)
    for ref in re.findall(r"\$\{([^}]+)\}", text):
        if not ref.startswith("AWS::"):
            assert ref.split(".")[0] in resources, ref
    metric_widgets = [w for w in body["widgets"] if w["type"] == "metric"]
    assert len(metric_widgets) >= 8
    namespaces = set()
    for widget in metric_widgets:
        for entry in widget["properties"]["metrics"]:
            parts = [p for p in entry if not isinstance(p, dict)]
            namespace, name, rest = parts[0], parts[1], parts[2:]
            dims = dict(zip(rest[::2], rest[1::2], strict=True))
            if namespace == "AWS/ApiGateway":
                dims = {k: {"Fn::Sub": v} if "${" in v else v for k, v in dims.items()}
            check_metric(template, namespace, name, dims)
            namespaces.add(namespace)
    assert namespaces == {NAMESPACE, *AWS_METRICS}
    [alarm_widget] = [w for w in body["widgets"] if w["type"] == "alarm"]
    alarms = {ref.split(".")[0].strip("${") for ref in alarm_widget["properties"]["alarms"]}
    assert alarms == set(resources_of(template, "AWS::CloudWatch::Alarm"))


def test_the_dashboard_shows_recovery_time_against_its_target(template: dict[str, Any]) -> None:
    body, _ = dashboard_body(template)
    names = {
        entry[1] for w in body["widgets"] if w["type"] == "metric" for entry in w["properties"]["metrics"]
    }
    assert {
        "ExecutionsFinished",
        "RecoveryTimeSeconds",
        "RecoveryTimeTargetSeconds",
        "WaveDurationSeconds",
        "ApproximateNumberOfMessagesVisible",
    } <= names
