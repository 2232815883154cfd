"""The console's users: the stack's Cognito user pool, asked for a user by ``sub`` (ListUsers with
``Filter = 'sub = "<sub>"'``; the execution handler may call ListUsers on that pool only).

A user found is kept per ``sub`` for the life of the container (a user's sub never changes; a
renamed user shows under the new name after the next cold start). A passing fault (throttling,
5xx, a timeout) is retried by botocore and then once more here; what still fails raises the
domain error, which the caller turns into a recording by ``sub`` and role.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.errors import translate
from orchestrator.exceptions import TransientError
from orchestrator.identity import UserInfo

logger = logging.getLogger(__name__)
SERVICE = "Cognito user pools"
ATTEMPTS = 2
# A sub is a UUID; anything else is never put into a filter expression.
_SUB = re.compile(r"^[A-Za-z0-9-]{1,128}$")


def user_info(user: dict[str, Any]) -> UserInfo:
    """A ListUsers ``Users`` entry as a UserInfo."""
    attributes = {a["Name"]: a.get("Value") for a in user.get("Attributes") or []}
    username = str(user.get("Username") or "")
    email = attributes.get("email") or None
    name = attributes.get("preferred_username") or attributes.get("name") or email or username
    return UserInfo(username=username, email=email, name=str(name))


class CognitoUsers:
    """The stack's user pool (``user_pool_id``) through an injected cognito-idp client."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self.user_pool_id = user_pool_id
        self._cache: dict[str, UserInfo] = {}
        self._lock = threading.Lock()

    def user_by_sub(self, sub: str) -> UserInfo | None:
        if not _SUB.match(sub):
            return None
        with self._lock:
            cached = self._cache.get(sub)
        if cached is not None:
            return cached
        found = self._list_users(sub)
        if found is not None:
            with self._lock:
                self._cache[sub] = found
        return found

    def _list_users(self, sub: str) -> UserInfo | None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                users = (
                    self._client.list_users(
                        UserPoolId=self.user_pool_id, Filter=f'sub = "{sub}"', Limit=1
                    ).get("Users")
                    or []
                )
            except (ClientError, BotoCoreError) as e:
                error = translate(e, SERVICE, "ListUsers")
                if isinstance(error, TransientError) and attempt < ATTEMPTS:
                    logger.info("user pool lookup retried", extra={"sub": sub, "error": error.message})
                    continue
                raise error from e
            return user_info(users[0]) if users else None
        return None
