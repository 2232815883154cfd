"""Who acted: the console user behind a shared IAM role, read from API Gateway's request context,
and the one way an actor is put into words."""

from __future__ import annotations

import pytest

from orchestrator.exceptions import PermissionDeniedError, TransientError
from orchestrator.identity import (
    CognitoSignIn,
    UserInfo,
    as_actor,
    fields,
    from_request,
    label,
    parse_cognito_provider,
    role_name,
)

POOL = "us-east-1_AbC123xyz"
SUB = "1f2e3d4c-5b6a-4789-8abc-def012345678"
PROVIDER = f"cognito-idp.us-east-1.amazonaws.com/{POOL},cognito-idp.us-east-1.amazonaws.com/{POOL}:CognitoSignIn:{SUB}"
ROLE = "arn:aws:sts::123456789012:assumed-role/drs-orchestrator-ConsoleOperatorRole-1A2B/CognitoIdentityCredentials"


class Directory:
    """The user pool as an in-memory port: users by sub, or an error every call raises."""

    def __init__(self, users: dict[str, UserInfo], error: Exception | None = None) -> None:
        self.users, self.error, self.asked = users, error, 0

    def user_by_sub(self, sub: str) -> UserInfo | None:
        self.asked += 1
        if self.error:
            raise self.error
        return self.users.get(sub)


ALICE = UserInfo(username=SUB, email="alice@example.com", name="alice")


def console_request(provider: str = PROVIDER) -> dict[str, str]:
    return {
        "cognitoAuthenticationProvider": provider,
        "cognitoAuthenticationType": "authenticated",
        "cognitoIdentityId": "us-east-1:0000",
        "userArn": ROLE,
    }


def test_the_provider_string_of_a_user_pool_sign_in_names_the_pool_and_the_sub() -> None:
    assert parse_cognito_provider(PROVIDER) == CognitoSignIn("us-east-1", POOL, SUB)
    # the sign-in part alone, and spaces after the comma, read the same
    assert parse_cognito_provider(PROVIDER.split(",")[1]) == CognitoSignIn("us-east-1", POOL, SUB)
    assert parse_cognito_provider(PROVIDER.replace(",", ", ")) == CognitoSignIn("us-east-1", POOL, SUB)


@pytest.mark.parametrize(
    "provider",
    [
        None,
        "",
        f"cognito-idp.us-east-1.amazonaws.com/{POOL}",  # the pool alone: no user
        "graph.facebook.com/1234",  # another provider
        f"cognito-idp.us-east-1.amazonaws.com/{POOL}:CognitoSignIn:",  # no sub
        f'cognito-idp.us-east-1.amazonaws.com/{POOL}:CognitoSignIn:{SUB}" or sub = "x',  # not a sub
        f"evil.example.com/{POOL}:CognitoSignIn:{SUB}",
    ],
)
def test_anything_but_a_user_pool_sign_in_is_no_console_user(provider: str | None) -> None:
    assert parse_cognito_provider(provider) is None


def test_the_role_is_named_by_its_name_in_an_assumed_role_or_role_arn() -> None:
    assert role_name(ROLE) == "drs-orchestrator-ConsoleOperatorRole-1A2B"
    assert role_name("arn:aws:iam::123456789012:role/path/Ops") == "Ops"
    assert role_name("arn:aws:iam::123456789012:user/bob") is None
    assert role_name(None) is None


def test_a_console_user_reads_as_the_person_with_the_role_beside() -> None:
    actor = from_request(console_request(), Directory({SUB: ALICE}), POOL)
    assert actor == {
        "type": "COGNITO_USER",
        "sub": SUB,
        "userPoolId": POOL,
        "role": ROLE,
        "username": SUB,
        "name": "alice",
        "email": "alice@example.com",
    }
    assert label(actor) == "alice <alice@example.com> (role drs-orchestrator-ConsoleOperatorRole-1A2B)"


def test_a_user_known_by_email_only_reads_as_the_email() -> None:
    only_email = UserInfo(username=SUB, email="bob@example.com", name="bob@example.com")
    actor = from_request(console_request(), Directory({SUB: only_email}), POOL)
    assert label(actor) == "bob@example.com (role drs-orchestrator-ConsoleOperatorRole-1A2B)"


@pytest.mark.parametrize(
    "error", [TransientError("Cognito user pools ListUsers is throttled"), PermissionDeniedError("denied")]
)
def test_a_pool_that_cannot_be_asked_leaves_the_sub_and_the_role(error: Exception) -> None:
    actor = from_request(console_request(), Directory({}, error), POOL)
    assert actor == {"type": "COGNITO_USER", "sub": SUB, "userPoolId": POOL, "role": ROLE}
    assert label(actor) == f"user {SUB} (role drs-orchestrator-ConsoleOperatorRole-1A2B)"


def test_a_sign_in_through_another_pool_is_never_looked_up() -> None:
    directory = Directory({SUB: ALICE})
    actor = from_request(console_request(PROVIDER.replace(POOL, "us-east-1_Other")), directory, POOL)
    assert directory.asked == 0
    assert "name" not in actor and actor["sub"] == SUB and actor["role"] == ROLE


def test_an_iam_caller_is_its_arn() -> None:
    arn = "arn:aws:iam::123456789012:user/pipeline"
    actor = from_request({"userArn": arn, "caller": "AIDA..."}, Directory({}), POOL)
    assert actor == {"type": "IAM", "arn": arn}
    assert label(actor) == arn


def test_what_a_record_stores_is_the_words_and_the_value_beside_them() -> None:
    assert fields("initiatedBy", "arn:aws:iam::1:user/x") == {
        "initiatedBy": "arn:aws:iam::1:user/x",
        "initiatedByIdentity": {"type": "IAM", "arn": "arn:aws:iam::1:user/x"},
    }
    assert fields("cancelRequestedBy", "pause timeout") == {
        "cancelRequestedBy": "pause timeout",
        "cancelRequestedByIdentity": {"type": "SYSTEM", "name": "pause timeout"},
    }
    assert as_actor(None) == {"type": "SYSTEM", "name": "unknown"}
    # stored strings (records older than identities) read as they are
    assert label("arn:aws:iam::1:user/x") == "arn:aws:iam::1:user/x"
    assert label(None) == "unknown"


def test_the_words_are_clipped_and_never_empty() -> None:
    long_name = "a" * 1000
    words = label({"type": "COGNITO_USER", "name": long_name, "email": "e@x", "sub": SUB, "role": ROLE})
    assert len(words) < 600 and words.startswith("a" * 255 + "…")
    assert label({"type": "COGNITO_USER"}) == "user unknown"
    assert label({"type": "IAM"}) == "unknown"
