"""Who acted: a person, not the role they act through.

A console user signs in to the stack's Cognito user pool and gets, through the identity pool, the
temporary credentials of their group's IAM role; API Gateway then sees every operator of a group as
the same assumed-role ARN (``requestContext.identity.userArn``). It also passes
``cognitoAuthenticationProvider``, which names the user pool and the user's ``sub``:
``cognito-idp.<region>.amazonaws.com/<poolId>,cognito-idp.<region>.amazonaws.com/<poolId>:CognitoSignIn:<sub>``.
So a console user is recorded as that user (username and email, looked up in the user pool by
``sub``) with the role beside it; any other caller by its IAM ARN.

An actor is a structured value (:class:`Actor`), and :func:`label` is the one place it is put into
words. Every record keeps the words in its historic field (``initiatedBy``, ``resumedBy``,
``approvedBy``, the timeline's ``actor``...) and the value beside it (``initiatedByIdentity``...), so
the API, the report, the email, the timeline, drsctl and the console all show the same text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, Protocol, TypedDict

logger = logging.getLogger(__name__)

ActorType = Literal["COGNITO_USER", "IAM", "SYSTEM"]
COGNITO_USER: ActorType = "COGNITO_USER"
IAM: ActorType = "IAM"
SYSTEM: ActorType = "SYSTEM"
# The suffix of the structured companion of each "...By" field.
IDENTITY_SUFFIX = "Identity"
MAX_PART_CHARS = 256


class Actor(TypedDict):
    """Who acted. COGNITO_USER: ``sub`` always, ``username``/``email``/``name`` when the user pool
    answered, ``role`` (the assumed-role ARN the console's credentials carry). IAM: ``arn``.
    SYSTEM: ``name`` (the orchestrator itself, e.g. "pause timeout")."""

    type: ActorType
    name: NotRequired[str]
    username: NotRequired[str]
    email: NotRequired[str]
    sub: NotRequired[str]
    role: NotRequired[str]
    arn: NotRequired[str]
    userPoolId: NotRequired[str]


# What operations accept: an Actor, or a string (an IAM ARN, or the orchestrator's name for itself).
ActorLike = Actor | str


@dataclass(frozen=True)
class CognitoSignIn:
    """What ``cognitoAuthenticationProvider`` says of a user pool user."""

    region: str
    user_pool_id: str
    sub: str


@dataclass(frozen=True)
class UserInfo:
    """A user pool user: its ``Username``, its email and a display name (``preferred_username``,
    else ``name``, else the email, else the username)."""

    username: str
    email: str | None
    name: str


class UserDirectory(Protocol):
    """Finds a user pool user by ``sub``. ``None`` when there is none; raises OrchestratorError
    (TransientError, PermissionDeniedError...) when the pool cannot be asked."""

    def user_by_sub(self, sub: str) -> UserInfo | None: ...


_SIGN_IN = re.compile(
    r"^cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[A-Za-z0-9-]+_[A-Za-z0-9]+)"
    r":CognitoSignIn:(?P<sub>[A-Za-z0-9-]{1,128})$"
)
_ASSUMED = re.compile(r"^arn:[^:]+:sts::\d*:assumed-role/(?P<name>[^/]+)/")


def parse_cognito_provider(provider: str | None) -> CognitoSignIn | None:
    """The user pool sign-in named by ``cognitoAuthenticationProvider`` (a comma-separated list:
    the pool's provider name, then ``<provider>:CognitoSignIn:<sub>``); None for anything else
    (no provider, a developer or social provider, malformed text)."""
    if not provider:
        return None
    for part in provider.split(","):
        found = _SIGN_IN.match(part.strip())
        if found:
            return CognitoSignIn(found["region"], found["pool"], found["sub"])
    return None


def role_name(arn: str | None) -> str | None:
    """The role's name in an assumed-role ARN (``arn:aws:sts::1:assumed-role/Name/session``) or a
    role ARN; None for anything else."""
    if not arn:
        return None
    found = _ASSUMED.match(arn)
    if found:
        return found["name"]
    if ":role/" in arn:
        return arn.rsplit("/", 1)[-1] or None
    return None


def _clip(text: str) -> str:
    return text if len(text) <= MAX_PART_CHARS else text[: MAX_PART_CHARS - 1] + "…"


def label(actor: Mapping[str, Any] | str | None) -> str:
    """The one way an actor is put into words:
    ``alice <alice@example.com> (role Operators)``, ``user 1b2c... (role Operators)`` when the user
    pool could not be asked, an IAM caller's ARN, or the orchestrator's own name for itself."""
    if actor is None:
        return "unknown"
    if isinstance(actor, str):
        return actor or "unknown"
    kind = actor.get("type")
    if kind == COGNITO_USER:
        name, email = actor.get("name") or actor.get("username"), actor.get("email")
        if name and email and name != email:
            person = f"{_clip(str(name))} <{_clip(str(email))}>"
        elif name or email:
            person = _clip(str(name or email))
        else:
            person = f"user {actor.get('sub') or 'unknown'}"
        role = role_name(actor.get("role"))
        return f"{person} (role {role})" if role else person
    if kind == IAM:
        return str(actor.get("arn") or "unknown")
    return str(actor.get("name") or "unknown")


def as_actor(value: Actor | Mapping[str, Any] | str | None) -> Actor:
    """An actor from what an operation was given: an Actor as is; a string (an older caller, a
    test, the orchestrator naming itself) as an IAM ARN when it is one, else as a SYSTEM name."""
    if value is None:
        return {"type": SYSTEM, "name": "unknown"}
    if isinstance(value, str):
        if value.startswith("arn:"):
            return {"type": IAM, "arn": value}
        return {"type": SYSTEM, "name": value or "unknown"}
    actor: dict[str, Any] = {k: v for k, v in value.items() if v is not None}
    if actor.get("type") not in (COGNITO_USER, IAM, SYSTEM):
        actor["type"] = SYSTEM
    return actor  # type: ignore[return-value]


def fields(name: str, actor: Actor | Mapping[str, Any] | str | None) -> dict[str, Any]:
    """What a record stores of an actor under ``name``: the words in ``name`` (as it always held)
    and the structured value in ``name + "Identity"``."""
    value = as_actor(actor)
    return {name: label(value), name + IDENTITY_SUFFIX: value}


def from_request(
    identity: Mapping[str, Any], users: UserDirectory | None, own_user_pool_id: str | None
) -> Actor:
    """Who makes an API request (API Gateway's ``requestContext.identity``, IAM authorization).

    A console user (signed in through the stack's user pool) is looked up by ``sub``; if the pool
    cannot be asked, or the sign-in names another pool, the actor keeps the ``sub`` and the role,
    and the lookup's failure is logged: the operator's action never fails for it."""
    arn = str(identity.get("userArn") or identity.get("caller") or "") or None
    sign_in = parse_cognito_provider(identity.get("cognitoAuthenticationProvider"))
    if sign_in is None:
        return {"type": IAM, "arn": arn or "unknown"}
    actor: Actor = {"type": COGNITO_USER, "sub": sign_in.sub, "userPoolId": sign_in.user_pool_id}
    if arn:
        actor["role"] = arn
    if not own_user_pool_id or sign_in.user_pool_id != own_user_pool_id:
        logger.warning(
            "console user of another user pool: recorded by sub and role",
            extra={"userPoolId": sign_in.user_pool_id, "sub": sign_in.sub, "role": arn},
        )
        return actor
    if users is None:
        return actor
    from orchestrator.exceptions import OrchestratorError

    try:
        user = users.user_by_sub(sign_in.sub)
    except OrchestratorError as e:
        logger.warning(
            "user pool lookup failed: recorded by sub and role",
            extra={"sub": sign_in.sub, "role": arn, "error": e.message, "code": e.code},
        )
        return actor
    if user is None:
        logger.warning(
            "no user pool user with this sub: recorded by sub and role", extra={"sub": sign_in.sub}
        )
        return actor
    actor["username"] = user.username
    actor["name"] = user.name
    if user.email:
        actor["email"] = user.email
    return actor
