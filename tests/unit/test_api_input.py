"""The API's input parsing without a server: bodies (depth, surrogates, constants, duplicates,
forbidden characters), nextTokens checked against their index, path ids, and the translation of
DynamoDB errors into domain errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orchestrator.api import http, schemas
from orchestrator.aws.dynamo import translate
from orchestrator.exceptions import (
    BadRequestError,
    DependencyError,
    NotFoundError,
    OrchestratorError,
    PermissionDeniedError,
    StaleWriteError,
    TransientError,
    ValidationFailedError,
)

GROUP_TAGS = '"serverSelectionTags": {"a": "b"}'


def refusal(raw: str, schema: str = "ProtectionGroup") -> OrchestratorError:
    with pytest.raises(OrchestratorError) as caught:
        http.parse_body(raw, False, schema)
    return caught.value


# ---------------------------------------------------------------------- bodies
@pytest.mark.parametrize("depth", [1_000, 5_000, 100_000])
def test_deeply_nested_json_is_malformed_not_a_crash(depth: int) -> None:
    for raw in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        error = refusal(raw)
        assert (error.http_status, error.code) in {
            (400, "MALFORMED_JSON"),
            (400, "BODY_TOO_LARGE"),  # '{"a":' x 100,000 is over 256 KB
            (422, "VALIDATION_ERROR"),
        }
    nested_in_field = '{"name": ' + "[" * depth + "]" * depth + f", {GROUP_TAGS}}}"
    assert refusal(nested_in_field).http_status in {400, 422}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": "a\\ud800b", ' + GROUP_TAGS + "}", "name"),
        ('{"name": "ok", "description": "\\udfff", ' + GROUP_TAGS + "}", "description"),
        ('{"name": "ok", "serverSelectionTags": {"k": "\\ud83d"}}', "serverSelectionTags.k"),
        ('{"name": "ok", "serverSelectionTags": {"\\ud83d": "v"}}', "serverSelectionTags.\\ud83d"),
    ],
)
def test_a_lone_surrogate_anywhere_is_a_422_naming_the_field(raw: str, field: str) -> None:
    error = refusal(raw)
    assert (error.http_status, error.code) == (422, "VALIDATION_ERROR")
    assert error.details == {"field": field}
    json.dumps(error.to_body(), ensure_ascii=False).encode("utf-8")  # the answer itself is valid UTF-8


def test_a_lone_surrogate_in_a_wave_name_names_the_wave() -> None:
    raw = '{"name": "p", "waves": [{"waveName": "w", "protectionGroupIds": ["g"]}, {"waveName": "\\ud800", "protectionGroupIds": ["g"]}]}'
    assert refusal(raw, "RecoveryPlan").details == {"field": "waves[1].waveName"}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_literals_are_malformed(literal: str) -> None:
    raw = '{"name": "p", "waves": [], "options": {"waveTimeoutMinutes": ' + literal + "}}"
    assert refusal(raw, "RecoveryPlan").code == "MALFORMED_JSON"


def test_numbers_beyond_a_double_are_refused_with_422() -> None:
    raw = '{"name": "p", "waves": [{"waveName": "w", "protectionGroupIds": ["g"]}], "options": {"waveTimeoutMinutes": 1e400}}'
    error = refusal(raw, "RecoveryPlan")
    assert (error.http_status, error.details) == (422, {"field": "options.waveTimeoutMinutes"})


def test_a_huge_integer_is_refused_not_a_crash() -> None:
    for digits in (50, 5000):
        raw = (
            '{"name": "p", "waves": [{"waveName": "w", "protectionGroupIds": ["g"]}], "options": {"waveTimeoutMinutes": 9'
            + "9" * digits
            + "}}"
        )
        assert refusal(raw, "RecoveryPlan").http_status in {400, 422}


def test_duplicate_keys_are_malformed() -> None:
    error = refusal('{"name": "a", "name": "b", ' + GROUP_TAGS + "}")
    assert (error.http_status, error.code) == (400, "MALFORMED_JSON")
    assert "duplicate key 'name'" in error.message


@pytest.mark.parametrize(
    "name",
    [
        "nul\x00here",
        "tab\there",
        "line\nbreak",
        "bell\x07",
        "del\x7f",
        "c1\x85",
        "ltr\u200emark",
        "rtl\u200fmark",
        "override\u202eevil",
        "embed\u202aing",
        "isolate\u2066x\u2069",
        "sep\u2028x",
        " leading",
        "trailing ",
    ],
)
@pytest.mark.parametrize("where", ["group", "plan", "wave"])
def test_names_with_control_or_bidi_characters_are_refused(name: str, where: str) -> None:
    wave = {"waveName": "w", "protectionGroupIds": ["g"]}
    body: dict[str, Any]
    if where == "group":
        body, schema, field = {"name": name, "serverSelectionTags": {"a": "b"}}, "ProtectionGroup", "name"
    elif where == "plan":
        body, schema, field = {"name": name, "waves": [wave]}, "RecoveryPlan", "name"
    else:
        body = {"name": "p", "waves": [{**wave, "waveName": name}]}
        schema, field = "RecoveryPlan", "waves[0].waveName"
    error = refusal(json.dumps(body), schema)
    assert (error.http_status, error.code, error.details) == (422, "VALIDATION_ERROR", {"field": field})
    assert "bidirectional" in error.message  # the rule in words, not the pattern


@pytest.mark.parametrize("name", ["Prod DB tier", "a", "Émilie's plan — ünïcödé 日本語", "x" * 128, "a  b"])
def test_ordinary_names_are_accepted(name: str) -> None:
    body = {"name": name, "serverSelectionTags": {"a": "b"}}
    assert http.parse_body(json.dumps(body), False, "ProtectionGroup")["name"] == name


def test_descriptions_may_span_lines_but_not_hold_controls_or_bidi() -> None:
    ok = {"name": "g", "description": "line one\r\n\tline two", "serverSelectionTags": {"a": "b"}}
    assert http.parse_body(json.dumps(ok), False, "ProtectionGroup")["description"] == ok["description"]
    for bad in ("nul\x00", "esc\x1b[31m", "rtl\u202e"):
        error = refusal(json.dumps({**ok, "description": bad}))
        assert error.details == {"field": "description"}


def test_the_resume_comment_is_optional_bounded_and_free_of_forbidden_characters() -> None:
    assert http.parse_body("", False, "ResumeExecution") == {}
    assert http.parse_body('{"comment": "ok, go"}', False, "ResumeExecution") == {"comment": "ok, go"}
    for bad in ({"comment": "x" * 1001}, {"comment": "a\u202eb"}, {"comment": "a\nb"}, {"comment": 5}):
        assert refusal(json.dumps(bad), "ResumeExecution").details == {"field": "comment"}
    assert refusal('{"note": "x"}', "ResumeExecution").code == "VALIDATION_ERROR"


def test_the_recovery_termination_needs_the_plan_name() -> None:
    assert http.parse_body('{"confirmPlanName": "Prod"}', False, "TerminateRecoveryInstances") == {
        "confirmPlanName": "Prod"
    }
    for bad in ("", "{}", '{"confirmPlanName": ""}', '{"confirmPlanName": null}'):
        assert refusal(bad, "TerminateRecoveryInstances").http_status == 422


def test_the_published_patterns_are_plain_regex_escapes() -> None:
    # ECMA-262 and Python read \xNN and \uNNNN alike: no literal control character in the document.
    for pattern in (schemas.NAME_PATTERN, schemas.DESCRIPTION_PATTERN, schemas.COMMENT_PATTERN):
        assert pattern.isascii() and pattern.isprintable()


# ---------------------------------------------------------------------- tokens, queries and paths
def token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


EXECUTION_KEYS = {"executionId": None, "startTime": None, "recordType": "EXECUTION"}
GOOD = {"executionId": "e-1", "startTime": "2026-01-01T00:00:00Z", "recordType": "EXECUTION"}


def test_a_token_this_api_returned_round_trips() -> None:
    assert http.decode_token(http.encode_token(GOOD), EXECUTION_KEYS) == GOOD
    assert http.decode_token(None, EXECUTION_KEYS) is None


@pytest.mark.parametrize(
    "bad",
    [
        token({}),
        token([]),
        token([GOOD]),
        token("a string"),
        token(None),
        token({**GOOD, "extra": "x"}),
        token({k: v for k, v in GOOD.items() if k != "recordType"}),
        token({"executionId": "e-1", "startTime": "t", "planId": "p"}),  # another index's key
        token({**GOOD, "recordType": "NAME"}),  # another partition than the query's
        token({**GOOD, "executionId": "x" * 10_000}),
        token({**GOOD, "executionId": ""}),
        token({**GOOD, "executionId": 5}),
        token({**GOOD, "executionId": None}),
        token({**GOOD, "executionId": {"S": "e"}}),
        token({**GOOD, "executionId": "a\x00b"}),
        base64.urlsafe_b64encode(
            b'{"executionId": "\\ud800", "startTime": "t", "recordType": "EXECUTION"}'
        ).decode(),
        base64.urlsafe_b64encode(b"[" * 5000).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "not base64 at all!",
        "%%%",
        "x" * 50_000,
    ],
)
def test_a_token_that_is_not_one_of_the_index_is_an_invalid_query(bad: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        http.decode_token(bad, EXECUTION_KEYS)
    assert caught.value.code == "INVALID_QUERY"


def test_query_values_are_bounded_and_unicode() -> None:
    allowed = (http.QueryParam("planId", "", {"type": "string", "maxLength": 10}),)
    assert http.query_params({"planId": "p"}, allowed) == {"planId": "p"}
    for bad in ({"planId": "x" * 11}, {"planId": "\ud800"}, {"\ud800": "x"}):
        with pytest.raises(BadRequestError):
            http.query_params(bad, allowed)


@pytest.mark.parametrize("bad", ["x" * 257, "a\x00b", "\ud800", ""])
def test_a_path_id_no_entity_can_have_is_not_found(bad: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        http.path_id(bad, "execution", "EXECUTION_NOT_FOUND")
    assert caught.value.code == "EXECUTION_NOT_FOUND"
    assert len(caught.value.message) < 120
    assert http.path_id("0b0e7d7e-1c5e-4a39-9a51-8f1f9d7e2c11", "x", "X") == (
        "0b0e7d7e-1c5e-4a39-9a51-8f1f9d7e2c11"
    )


# ---------------------------------------------------------------------- DynamoDB errors
def client_error(code: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "raw DynamoDB text"}, **extra}, "PutItem")


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (client_error("ValidationException"), ValidationFailedError, 422),
        (client_error("ConditionalCheckFailedException"), StaleWriteError, 409),
        (client_error("ThrottlingException"), TransientError, 503),
        (client_error("ProvisionedThroughputExceededException"), TransientError, 503),
        (client_error("TransactionConflictException"), TransientError, 503),
        (client_error("ResourceNotFoundException"), DependencyError, 502),
        (client_error("AccessDeniedException"), PermissionDeniedError, 502),
        (client_error(""), DependencyError, 502),
        (
            client_error(
                "TransactionCanceledException",
                CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
            ),
            StaleWriteError,
            409,
        ),
        (
            client_error(
                "TransactionCanceledException",
                CancellationReasons=[{"Code": "ValidationError"}, {"Code": "None"}],
            ),
            ValidationFailedError,
            422,
        ),
        (
            client_error(
                "TransactionCanceledException", CancellationReasons=[{"Code": "TransactionConflict"}]
            ),
            TransientError,
            503,
        ),
        (client_error("TransactionCanceledException"), DependencyError, 502),
    ],
)
def test_every_dynamodb_error_becomes_a_domain_error(error: ClientError, kind: type, status: int) -> None:
    translated = translate(error)
    assert type(translated) is kind
    assert translated.http_status == status
    assert translated is not error and not isinstance(translated, ClientError)
    if kind is ValidationFailedError:
        assert "raw DynamoDB text" not in translated.message


def test_a_validation_exception_is_never_a_server_error() -> None:
    translated = translate(client_error("ValidationException"))
    assert translated.code == "DYNAMODB_VALIDATION"
    assert set(translated.to_body()["error"]) <= {"code", "message", "details"}


def test_a_query_parameter_given_twice_is_refused_naming_it() -> None:
    """Given API Gateway's event for ?limit=1&limit=2 (the last value in queryStringParameters,
    both in multiValueQueryStringParameters); then 400 INVALID_QUERY names limit."""
    allowed = (http.QueryParam("limit", "page size", {"type": "integer"}),)
    with pytest.raises(OrchestratorError) as caught:
        http.query_params({"limit": "2"}, allowed, {"limit": ["1", "2"]})
    assert (caught.value.http_status, caught.value.code, caught.value.details) == (
        400,
        "INVALID_QUERY",
        {"field": "limit"},
    )
    assert http.query_params({"limit": "2"}, allowed, {"limit": ["2"]}) == {"limit": "2"}


@pytest.mark.parametrize("bad", ["nul\x00", "rtl\u202e", "mark\u200e"])
def test_nul_and_bidi_controls_are_refused_in_any_string_of_a_plan(bad: str) -> None:
    """Given a plan whose function payload (free-form JSON) holds NUL or a bidi control in a value
    or a key; then 422 names the payload's field."""
    wave = {"waveName": "w", "protectionGroupIds": ["g"]}
    action = {"name": "f", "type": "LAMBDA", "functionName": "drs-actions-f"}
    for payload, field in (({"note": bad}, "payload.note"), ({bad: "x"}, f"payload.{bad}")):
        body = {"name": "p", "waves": [{**wave, "postActions": [{**action, "payload": payload}]}]}
        error = refusal(json.dumps(body), "RecoveryPlan")
        assert (error.http_status, error.details) == (422, {"field": f"waves[0].postActions[0].{field}"})
