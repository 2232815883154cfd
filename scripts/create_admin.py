"""Invite the console's first Administrator (or any later one) into a deployed stack's user pool.

    python -m scripts.create_admin --stack drs-orchestrator --region us-east-1 --email you@example.com
    (make admin EMAIL=you@example.com [ENV=staging|prod])

Reads the stack's ConsoleUserPoolId and ConsoleUrl outputs, creates the user in the pool (the pool
lets only administrators create users; Cognito e-mails a temporary password, valid three days) with
the address marked verified, and adds it to the `Administrators` group, whose IAM role may call every
route, real recoveries included. Run again for a user who already exists: it is added to the group
and no new invitation is sent (`--resend` sends one, for an invitation that expired).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# template.yaml's ConsoleAdministratorsGroup (a test holds them equal).
ADMINISTRATORS_GROUP = "Administrators"
# The template's NotificationEmail pattern: something@domain.tld, no spaces.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AdminError(RuntimeError):
    """What stops the invitation, said in one line."""


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as e:
        raise AdminError(f"stack {stack}: {e.response['Error']['Message']}") from e
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def invite_administrator(cognito: Any, user_pool_id: str, email: str, *, resend: bool = False) -> str:
    """Create the user (or find it) and put it in the Administrators group. Answers what happened:
    "invited", "re-invited" or "already a user"."""
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    try:
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            UserAttributes=attributes,
            DesiredDeliveryMediums=["EMAIL"],
        )
        outcome = "invited"
    except cognito.exceptions.UsernameExistsException:
        outcome = "already a user"
        if resend:
            cognito.admin_create_user(
                UserPoolId=user_pool_id,
                Username=email,
                MessageAction="RESEND",
                DesiredDeliveryMediums=["EMAIL"],
            )
            outcome = "re-invited"
    cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=email, GroupName=ADMINISTRATORS_GROUP)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--email", required=True, help="the person's e-mail address (their user name)")
    parser.add_argument("--resend", action="store_true", help="send a new invitation to an existing user")
    args = parser.parse_args(argv)
    email = args.email.strip()
    try:
        if not EMAIL.match(email):
            raise AdminError(f"{email!r} is not an e-mail address (EMAIL=you@example.com)")
        session = boto3.Session(region_name=args.region)
        outputs = stack_outputs(session.client("cloudformation"), args.stack)
        if "ConsoleUserPoolId" not in outputs:
            raise AdminError(
                f"stack {args.stack} has no ConsoleUserPoolId output: is it this project's stack?"
            )
        outcome = invite_administrator(
            session.client("cognito-idp"), outputs["ConsoleUserPoolId"], email, resend=args.resend
        )
    except AdminError as e:
        print(f"make admin: {e}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as e:
        print(f"make admin: {e}", file=sys.stderr)
        return 1
    console = outputs.get("ConsoleUrl", "the stack's ConsoleUrl output")
    if outcome == "already a user":
        print(f"{email} is already a user; now in {ADMINISTRATORS_GROUP}. Sign in at {console}")
    else:
        print(
            f"{email} {outcome} as one of the {ADMINISTRATORS_GROUP}: Cognito e-mailed a temporary password "
            f"(valid 3 days). Sign in at {console}, choose a new password and set up MFA when asked."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
