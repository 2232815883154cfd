"""The deployed wiring of the notification-formatter (template.yaml) matches what its code relies on:
partial batch responses, bounded retries into a dead-letter queue, the stream's old and new images,
and an idempotency table shaped as Powertools expects."""

from __future__ import annotations

from typing import Any

import pytest

from drs_sandbox.cfn import (
    Resolver,
    dynamodb_table_kwargs,
    dynamodb_ttl_attribute,
    function_specs,
    load_template,
    repo_root,
    stream_consumers,
)

FUNCTION = "NotificationFormatterFunction"


@pytest.fixture(scope="module")
def template() -> Any:
    return load_template()


def _stream_event(template: Any) -> tuple[str, dict[str, Any]]:
    consumers = [(table, props) for fn, table, props in stream_consumers(template) if fn == FUNCTION]
    assert len(consumers) == 1, "the formatter consumes exactly one stream"
    return consumers[0]


def test_the_formatter_reads_old_and_new_images_of_the_executions_table(template: Any) -> None:
    # Given the formatter's stream event
    table, _props = _stream_event(template)

    # Then it is the executions table's stream, which carries both images (status before and after)
    assert table == "ExecutionsTable"
    kwargs = dynamodb_table_kwargs(template, table, "executions")
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_a_failing_record_is_retried_alone_a_bounded_number_of_times_then_sent_to_the_dlq(
    template: Any,
) -> None:
    # Given the formatter's stream event
    _table, props = _stream_event(template)

    # Then partial batch responses are on, retries and record age are bounded, and failures go to the DLQ
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 <= int(props["MaximumRetryAttempts"]) <= 10
    assert 60 <= int(props["MaximumRecordAgeInSeconds"]) <= 86400
    assert props["BisectBatchOnFunctionError"] is True
    destination = props["DestinationConfig"]["OnFailure"]
    assert destination["Type"] == "SQS"
    assert destination["Destination"] == {"Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"]}
    assert template["Resources"]["NotificationDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"
    # And records that cannot be status changes (REMOVE) never invoke the function
    assert props["FilterCriteria"]["Filters"] == [{"Pattern": '{"eventName": ["INSERT", "MODIFY"]}'}]


def test_the_function_gets_the_configuration_its_code_reads(template: Any) -> None:
    # Given the function as SAM deploys it
    spec = next(s for s in function_specs(template) if s.logical_id == FUNCTION)

    # Then the handler file exists and the environment names the topic, the bus and the idempotency table
    assert spec.handler == "index.handler"
    assert spec.code_dir == repo_root() / "lambda" / "notification-formatter"
    assert (spec.code_dir / "index.py").is_file()
    assert {"TOPIC_ARN", "EVENT_BUS_NAME", "IDEMPOTENCY_TABLE", "POWERTOOLS_SERVICE_NAME"} <= set(
        spec.environment
    )
    # And the bus it may put events on is the bus it is told to use
    policies = template["Resources"][FUNCTION]["Properties"]["Policies"]
    allowed_bus = next(
        p["EventBridgePutEventsPolicy"]["EventBusName"] for p in policies if "EventBridgePutEventsPolicy" in p
    )
    assert Resolver(template).resolve(allowed_bus) == spec.environment["EVENT_BUS_NAME"]
    assert {"DynamoDBCrudPolicy": {"TableName": {"Ref": "IdempotencyTable"}}} in policies


def test_the_idempotency_table_has_the_keys_powertools_writes(template: Any) -> None:
    # Given the idempotency table
    kwargs = dynamodb_table_kwargs(template, "IdempotencyTable", "idempotency")

    # Then Powertools' defaults fit it: hash key "id", expiry in "expiration" (TTL)
    assert kwargs["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert dynamodb_ttl_attribute(template, "IdempotencyTable") == "expiration"


def test_undeliverable_notifications_wait_encrypted_for_14_days_behind_an_alarm(template: Any) -> None:
    # Given the dead-letter queue the formatter writes undeliverable notifications to
    resources = template["Resources"]
    queue = resources["NotificationDeadLetterQueue"]["Properties"]
    spec = next(s for s in function_specs(template) if s.logical_id == FUNCTION)

    # Then it is encrypted, keeps messages 14 days, and the formatter is told where it is
    assert queue["SqsManagedSseEnabled"] is True
    assert int(queue["MessageRetentionPeriod"]) == 14 * 24 * 3600
    assert spec.environment["DEAD_LETTER_QUEUE_URL"] == Resolver(template).physical_id(
        "NotificationDeadLetterQueue"
    )
    # And a replay's hidden messages stay hidden longer than the function may run
    assert int(queue["VisibilityTimeout"]) >= spec.timeout
    # And an alarm tells the stack's alarm topic as soon as one message is visible in it
    alarm = resources["NotificationDeadLetterQueueAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["NotificationDeadLetterQueue", "QueueName"]}}
    ]
    assert (alarm["ComparisonOperator"], float(alarm["Threshold"])) == ("GreaterThanOrEqualToThreshold", 1.0)
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_formatter_may_only_send_receive_and_delete_on_its_own_dead_letter_queue(template: Any) -> None:
    # Given every statement of the formatter's own policies
    policies = template["Resources"][FUNCTION]["Properties"]["Policies"]
    statements = [s for p in policies if "Statement" in p for s in p["Statement"]]
    sqs_statements = [s for s in statements if any(str(a).startswith("sqs:") for a in s["Action"])]

    # Then SQS is allowed on the dead-letter queue only, and only the actions writing and replaying need
    queue_arn = {"Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"]}
    assert sqs_statements and all(s["Resource"] == queue_arn for s in sqs_statements)
    actions = sorted(a for s in sqs_statements for a in s["Action"])
    assert actions == ["sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage"]
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in statements)
    # And no other function of the stack may touch that queue
    for logical_id, resource in template["Resources"].items():
        if logical_id != FUNCTION and resource.get("Type") == "AWS::Serverless::Function":
            assert "NotificationDeadLetterQueue" not in str(resource["Properties"].get("Policies", ""))
