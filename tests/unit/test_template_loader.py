"""The sandbox's template loader: cfn-lint decodes the template (short-form tags included); the
loader resolves the intrinsics the template uses and gives the sandbox its tables (every index),
functions (SAM Globals merged) and state machine definition."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.session import get_session
from botocore.validate import validate_parameters

from drs_sandbox import cfn

SHORT_FORMS = """
Parameters:
  Stage: {Type: String, Default: dev}
  Email: {Type: String, Default: ""}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  HasEmail: !Not [!Equals [!Ref Email, ""]]
  ProdWithEmail: !And [!Condition IsProd, !Condition HasEmail]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-${Stage}-queue"
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !If [IsProd, prod-topic, !Ref AWS::NoValue]
      Tags:
        - {Key: queue, Value: !GetAtt Queue.Arn}
        - !If [HasEmail, {Key: email, Value: !Ref Email}, !Ref AWS::NoValue]
      DisplayName: !Sub
        - "${Name} ${!Literal} ${Queue.QueueName}"
        - {Name: !Ref Stage}
"""


@pytest.fixture(scope="module")
def template() -> cfn.CfnTemplate:
    return cfn.load_template()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_short_forms_come_back_in_their_long_form(tmp_path: Path) -> None:
    template = cfn.load_template(write(tmp_path, "t.yaml", SHORT_FORMS))
    topic = template["Resources"]["Topic"]["Properties"]
    assert topic["Tags"][0] == {"Key": "queue", "Value": {"Fn::GetAtt": ["Queue", "Arn"]}}
    assert topic["TopicName"] == {"Fn::If": ["IsProd", "prod-topic", {"Ref": "AWS::NoValue"}]}
    assert template["Conditions"]["HasEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]}
    assert template.path == (tmp_path / "t.yaml").resolve()
    # plain values, not the decoder's nodes
    assert type(topic["Tags"][0]["Key"]) is str and type(topic) is dict


def test_the_resolver_evaluates_ref_getatt_sub_and_if(tmp_path: Path) -> None:
    template = cfn.load_template(write(tmp_path, "t.yaml", SHORT_FORMS))
    props = template["Resources"]["Topic"]["Properties"]
    dev = cfn.Resolver(template, stack_name="s").resolve(props)
    assert dev == {
        "Tags": [{"Key": "queue", "Value": "arn:aws:sqs:us-east-1:123456789012:s-dev-queue"}],
        "DisplayName": "dev ${Literal} s-dev-queue",
    }
    prod = cfn.Resolver(template, {"Stage": "prod", "Email": "a@b.c"}, stack_name="s").resolve(props)
    assert prod["TopicName"] == "prod-topic"
    assert prod["Tags"][1] == {"Key": "email", "Value": "a@b.c"}
    # a function the template does not need is refused by name, not guessed
    with pytest.raises(cfn.ResolveError, match="Fn::And cannot be resolved locally"):
        cfn.Resolver(template).condition("ProdWithEmail")


def test_a_json_template_loads_too(tmp_path: Path) -> None:
    document = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"N": {"Fn::GetAtt": "Q.Arn"}}}}}
    template = cfn.load_template(write(tmp_path, "t.json", json.dumps(document)))
    assert cfn.Resolver(template, stack_name="s").resolve(template["Resources"]["Q"]["Properties"]) == {
        "N": "arn:aws:sqs:us-east-1:123456789012:s-Q"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources:\n  A: {Type: X\n", r"t\.yaml:\d+: "),
        ("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", r"t\.yaml:\d+: Duplicate found 'A'"),
        ("Outputs: {}\n", "no Resources mapping"),
    ],
)
def test_a_broken_template_is_refused_with_its_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cfn.load_template(write(tmp_path, "t.yaml", text))


def test_every_table_becomes_valid_create_table_arguments_with_every_index(template: cfn.CfnTemplate) -> None:
    create_table = get_session().get_service_model("dynamodb").operation_model("CreateTable").input_shape
    for logical_id in cfn.table_logical_ids(template):
        declared = template["Resources"][logical_id]["Properties"]
        kwargs = cfn.dynamodb_table_kwargs(template, logical_id, f"t-{logical_id}")
        validate_parameters(kwargs, create_table)  # raises on any argument CreateTable does not take
        assert kwargs["KeySchema"] == declared["KeySchema"]
        assert [i["IndexName"] for i in kwargs.get("GlobalSecondaryIndexes", [])] == [
            i["IndexName"] for i in declared.get("GlobalSecondaryIndexes", [])
        ]
        # deletion protection stays out: local stacks and tests delete their tables
        assert "DeletionProtectionEnabled" not in kwargs
    executions = cfn.dynamodb_table_kwargs(template, "ExecutionsTable", "executions")
    jobs_index = next(i for i in executions["GlobalSecondaryIndexes"] if i["IndexName"] == "JobsIndex")
    assert jobs_index["KeySchema"][0] == {"AttributeName": "jobsPending", "KeyType": "HASH"}
    assert executions["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert executions["SSESpecification"] == {"Enabled": True}


def test_functions_get_the_globals_merged_as_sam_does(template: cfn.CfnTemplate) -> None:
    specs = {s.logical_id: s for s in cfn.function_specs(template)}
    handler = specs["ExecutionHandlerFunction"]
    assert handler.timeout == 900 and handler.memory == 1024  # the function's own values win
    assert specs["NotificationFormatterFunction"].architectures == ["arm64"]  # from Globals
    assert handler.layer_dirs == [cfn.repo_root() / "lambda" / "shared"]  # the Globals layer
    # environments merge: Globals variables plus the function's own, every value a string
    assert handler.environment["POWERTOOLS_SERVICE_NAME"] == "drs-orchestrator"
    assert handler.environment["EXECUTIONS_TABLE"] == "drs-orchestrator-ExecutionsTable"
    assert all(type(v) is str for v in handler.environment.values())


def test_the_state_machine_definition_has_its_substitutions_applied(template: cfn.CfnTemplate) -> None:
    (logical_id,) = cfn.state_machine_logical_ids(template)
    definition: dict[str, Any] = json.loads(
        cfn.state_machine_definition(template, logical_id, {"ExecutionHandlerArn": "arn:fn"})
    )
    text = json.dumps(definition)
    assert "arn:fn" in text and "${" not in text
    default = cfn.state_machine_definition(template, logical_id, {})
    assert "arn:aws:lambda:us-east-1:123456789012:function:" in default


def test_a_placeholder_the_template_does_not_declare_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sm.json").write_text('{"StartAt": "${Declared}", "Comment": "${Forgotten}"}')
    template = cfn.load_template(
        write(
            tmp_path,
            "t.yaml",
            "Resources:\n  Sm:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
            "      DefinitionUri: sm.json\n      DefinitionSubstitutions: {Declared: x}\n",
        )
    )
    with pytest.raises(ValueError, match="placeholders not in DefinitionSubstitutions: Forgotten"):
        cfn.state_machine_definition(template, "Sm", {})
