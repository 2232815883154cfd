"""The console's users in the sandbox: the template's Cognito user pool and groups, created in moto,
and the request context a signed-in console user's request carries.

Deployed, a console user signs in to the user pool, the identity pool hands them the credentials of
their group's role, and API Gateway's IAM authorization puts in ``requestContext.identity`` the
assumed role (``userArn``) and ``cognitoAuthenticationProvider`` naming the pool and the user's
``sub``. The sandbox has no sign-in: a request carrying ``X-Sandbox-Cognito-User: <name>`` gets that
identity for the user of that name (``POST /_sandbox/users`` creates users), so the handler's real
code path (ListUsers by sub in moto's user pool) runs as deployed.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drs_sandbox import cfn

HEADER = "X-Sandbox-Cognito-User"
USER_POOL_TYPE = "AWS::Cognito::UserPool"
GROUP_TYPE = "AWS::Cognito::UserPoolGroup"
# The session name the identity pool gives the credentials it hands out.
SESSION_NAME = "CognitoIdentityCredentials"
_FIELDS = frozenset({"username", "email", "group"})


class ConsoleUserError(ValueError):
    """A user that cannot be created, or a header naming nobody; the message says why."""


@dataclass(frozen=True)
class ConsoleUser:
    username: str
    email: str
    group: str
    sub: str
    role_arn: str
    identity_id: str


class ConsoleUsers:
    """The template's user pool and groups in moto, and the users created through the sandbox."""

    def __init__(self, client: Any, resolver: cfn.Resolver, *, region: str, account_id: str) -> None:
        self._client = client
        self._resolver = resolver
        self.region, self.account_id = region, account_id
        self.user_pool_id = ""
        self.identity_pool_id = f"{region}:{uuid.uuid5(uuid.NAMESPACE_URL, 'sandbox-identity-pool')}"
        self.groups: dict[str, str] = {}  # group name -> role ARN
        self._users: dict[str, ConsoleUser] = {}
        self._lock = threading.Lock()

    def create_from_template(self, template: Mapping[str, Any]) -> None:
        """Create the template's user pool (the first one) and its groups; the pool's id becomes what
        ``Ref`` of it resolves to, so the functions' environment names it as deployed."""
        resources = template.get("Resources") or {}
        pools = [logical for logical, res in resources.items() if res.get("Type") == USER_POOL_TYPE]
        if not pools:
            return
        logical = pools[0]
        props = self._resolver.resolve(resources[logical].get("Properties") or {})
        kwargs: dict[str, Any] = {"PoolName": str(props.get("UserPoolName") or logical)}
        for key in ("UsernameAttributes", "AutoVerifiedAttributes"):
            if props.get(key):
                kwargs[key] = props[key]
        self.user_pool_id = self._client.create_user_pool(**kwargs)["UserPool"]["Id"]
        self._resolver.physical_ids[logical] = self.user_pool_id
        for res in resources.values():
            if res.get("Type") != GROUP_TYPE:
                continue
            group = self._resolver.resolve(res.get("Properties") or {})
            if group.get("UserPoolId") != self.user_pool_id:
                continue
            self._client.create_group(
                GroupName=group["GroupName"],
                UserPoolId=self.user_pool_id,
                RoleArn=group["RoleArn"],
                Precedence=int(group.get("Precedence") or 0),
            )
            self.groups[str(group["GroupName"])] = str(group["RoleArn"])

    def create(self, specs: Any) -> list[dict[str, Any]]:
        """``[{"username", "email", "group"}]``: users of the pool, each in one group (all checked
        before any is created)."""
        if not self.user_pool_id:
            raise ConsoleUserError("the template declares no Cognito user pool")
        if not isinstance(specs, list) or not specs:
            raise ConsoleUserError('expected {"users": [{"username", "email", "group"}, ...]}')
        for spec in specs:
            if (
                not isinstance(spec, dict)
                or set(spec) - _FIELDS
                or not all(isinstance(spec.get(k), str) and spec.get(k) for k in _FIELDS)
            ):
                raise ConsoleUserError(
                    f"each user needs exactly username, email and group (strings): {spec!r}"
                )
            if spec["group"] not in self.groups:
                raise ConsoleUserError(
                    f"unknown group {spec['group']!r}; groups: {', '.join(sorted(self.groups))}"
                )
            if spec["username"] in self._users:
                raise ConsoleUserError(f"user {spec['username']!r} exists")
        created = []
        for spec in specs:
            user = self._client.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=spec["email"],
                UserAttributes=[
                    {"Name": "email", "Value": spec["email"]},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "preferred_username", "Value": spec["username"]},
                ],
                MessageAction="SUPPRESS",
            )["User"]
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes") or []}
            self._client.admin_add_user_to_group(
                UserPoolId=self.user_pool_id, Username=user["Username"], GroupName=spec["group"]
            )
            console_user = ConsoleUser(
                username=spec["username"],
                email=spec["email"],
                group=spec["group"],
                sub=attributes["sub"],
                role_arn=self.groups[spec["group"]],
                identity_id=f"{self.region}:{uuid.uuid4()}",
            )
            with self._lock:
                self._users[console_user.username] = console_user
            created.append(self.describe(console_user))
        return created

    def describe(self, user: ConsoleUser) -> dict[str, Any]:
        return {
            "username": user.username,
            "email": user.email,
            "group": user.group,
            "sub": user.sub,
            "roleArn": user.role_arn,
            "assumedRoleArn": self.assumed_role_arn(user),
        }

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self.describe(u) for u in self._users.values()]

    def assumed_role_arn(self, user: ConsoleUser) -> str:
        role_name = user.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{SESSION_NAME}"

    def request_identity(self, name: str) -> dict[str, Any]:
        """``requestContext.identity`` of a request signed with that user's console credentials."""
        with self._lock:
            user = self._users.get(name)
        if user is None:
            raise ConsoleUserError(
                f"{HEADER}: no console user {name!r} (create it with POST /_sandbox/users)"
            )
        provider = f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
        arn = self.assumed_role_arn(user)
        return {
            "cognitoIdentityPoolId": self.identity_pool_id,
            "cognitoIdentityId": user.identity_id,
            "cognitoAuthenticationType": "authenticated",
            "cognitoAuthenticationProvider": f"{provider},{provider}:CognitoSignIn:{user.sub}",
            "caller": f"AROA{uuid.uuid5(uuid.NAMESPACE_URL, arn).hex[:17].upper()}:{SESSION_NAME}",
            "userArn": arn,
            "accountId": self.account_id,
        }
