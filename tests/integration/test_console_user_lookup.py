"""The user pool lookup behind "who acted" (moto's cognito-idp): a user found by sub, kept per sub
for the container's life, and a passing fault retried once before it is the caller's to handle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orchestrator.aws.users import CognitoUsers
from orchestrator.exceptions import TransientError


class Counting:
    """A cognito-idp client that counts ListUsers calls and can fail the next ones."""

    def __init__(self, client: Any) -> None:
        self.client, self.calls, self.failures = client, 0, 0

    def list_users(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "ListUsers"
            )
        return self.client.list_users(**kwargs)


@pytest.fixture
def pool() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id = client.create_user_pool(PoolName="console", UsernameAttributes=["email"])["UserPool"]["Id"]
        user = client.admin_create_user(
            UserPoolId=pool_id,
            Username="alice@example.com",
            UserAttributes=[
                {"Name": "email", "Value": "alice@example.com"},
                {"Name": "preferred_username", "Value": "alice"},
            ],
            MessageAction="SUPPRESS",
        )["User"]
        sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
        yield client, pool_id, sub


def test_a_user_is_found_by_sub_once_per_container(pool: tuple[Any, str, str]) -> None:
    client, pool_id, sub = pool
    counting = Counting(client)
    users = CognitoUsers(counting, pool_id)
    found = users.user_by_sub(sub)
    assert found is not None and (found.name, found.email) == ("alice", "alice@example.com")
    assert users.user_by_sub(sub) == found
    assert counting.calls == 1
    assert users.user_by_sub("00000000-0000-0000-0000-000000000000") is None
    # a value that is no sub never reaches the filter expression
    assert users.user_by_sub('x" or sub ^= "') is None and counting.calls == 2


def test_a_passing_fault_is_retried_and_a_lasting_one_is_raised(pool: tuple[Any, str, str]) -> None:
    client, pool_id, sub = pool
    counting = Counting(client)
    counting.failures = 1
    assert CognitoUsers(counting, pool_id).user_by_sub(sub) is not None
    counting.failures = 5
    with pytest.raises(TransientError):
        CognitoUsers(counting, pool_id).user_by_sub(sub)
