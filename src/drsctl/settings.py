"""Where drsctl's requests go, as whom and how answers are printed, resolved the way the AWS CLI does:
a flag, then the environment, then the profile of the config file, then the default.

The config file is ``$XDG_CONFIG_HOME/drsctl/config.toml`` (``~/.config/drsctl/config.toml``); each
top-level table is a named profile, ``[default]`` when none is chosen::

    [default]
    endpoint = "http://127.0.0.1:8787"

    [prod]
    stack = "drs-orchestrator"     # the endpoint is the stack's ApiUrl output
    region = "eu-west-1"
    profile = "prod-admin"         # the AWS profile whose credentials sign the requests
    output = "table"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drsctl.client import DrsctlError

OUTPUTS = ("table", "text", "json", "yaml")
CONFIG_KEYS = ("endpoint", "stack", "region", "profile", "output")
# The template's output holding the REST API's URL (template.yaml, Outputs).
API_URL_OUTPUT = "ApiUrl"
ENDPOINT_ENV, STACK_ENV, PROFILE_ENV, REGION_ENV, OUTPUT_ENV = (
    "DRSCTL_ENDPOINT",
    "DRSCTL_STACK",
    "DRSCTL_PROFILE",
    "DRSCTL_REGION",
    "DRSCTL_OUTPUT",
)


class SettingsError(DrsctlError):
    """A setting that cannot be used (a profile, a stack, credentials): one line naming the fix."""


class CredentialsError(SettingsError):
    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": "CREDENTIALS", "message": str(self)}}


@dataclass(frozen=True)
class Settings:
    endpoint: str
    source: str  # where the endpoint came from, for --debug
    region: str | None
    aws_profile: str | None
    output: str
    profile: str  # the drsctl profile in use ("default" when none is chosen)


@dataclass(frozen=True)
class Flags:
    endpoint: str | None = None
    stack: str | None = None
    profile: str | None = None
    region: str | None = None
    output: str | None = None


def config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "drsctl" / "config.toml"


def load_config(path: Path) -> dict[str, dict[str, str]]:
    """The profiles of the config file ({} when there is none); a malformed file is one line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise SettingsError(f"cannot read {path}: {e.strerror}") from e
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{path} is not valid TOML: {e}") from e
    profiles: dict[str, dict[str, str]] = {}
    for name, table in document.items():
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: {name} must be a table of settings ([{name}])")
        for key, value in table.items():
            if key not in CONFIG_KEYS:
                raise SettingsError(
                    f"{path}: [{name}] {key} is not a setting (known: {', '.join(CONFIG_KEYS)})"
                )
            if not isinstance(value, str):
                raise SettingsError(f'{path}: [{name}] {key} must be a string ({key} = "...")')
        profiles[name] = dict(table)
    return profiles


def aws_profiles() -> list[str]:
    from botocore.session import Session

    return list(Session().available_profiles)


def resolve(
    flags: Flags,
    env: Mapping[str, str],
    *,
    stack_endpoint: Callable[[str, str | None, str | None], str] | None = None,
    known_aws_profiles: Callable[[], list[str]] = aws_profiles,
) -> Settings:
    """Flag > environment > the chosen profile of the config file > default, setting by setting."""
    path = config_path(env)
    profiles = load_config(path)
    name = flags.profile or env.get(PROFILE_ENV)
    aws_profile: str | None = None
    if name is None:
        profile = profiles.get("default", {})
    elif name in profiles:
        profile = profiles[name]
    elif name in known_aws_profiles():
        # As `aws --profile NAME`: a profile of the AWS config, with no drsctl settings of its own.
        profile, aws_profile = {}, name
    else:
        known = ", ".join(sorted(profiles)) or "none"
        raise SettingsError(
            f"no profile {name!r} in {path} (profiles there: {known}) nor in your AWS config: "
            f"add a [{name}] table to {path} or choose another with --profile"
        )
    # The AWS profile: the chosen profile's; for the default profile AWS_PROFILE (the environment)
    # beats the file, as everywhere else; None lets botocore's chain decide.
    if name is None and env.get("AWS_PROFILE"):
        aws_profile = env["AWS_PROFILE"]
    else:
        aws_profile = profile.get("profile") or aws_profile
    region = flags.region or env.get(REGION_ENV) or profile.get("region")
    output = flags.output or env.get(OUTPUT_ENV) or profile.get("output") or "table"
    if output not in OUTPUTS:
        raise SettingsError(f"output {output!r} is not one of {', '.join(OUTPUTS)}")
    if flags.endpoint and flags.stack:
        raise SettingsError("give --endpoint or --stack, not both")
    where = f"profile {name or 'default'} of {path}"
    choices = (
        ("endpoint", flags.endpoint, "--endpoint"),
        ("stack", flags.stack, "--stack"),
        ("endpoint", env.get(ENDPOINT_ENV), ENDPOINT_ENV),
        ("stack", env.get(STACK_ENV), STACK_ENV),
        ("endpoint", profile.get("endpoint"), where),
        ("stack", profile.get("stack"), where),
    )
    kind, value, source = next(((k, v, s) for k, v, s in choices if v), ("", None, ""))
    if value is None:
        raise SettingsError(
            f"no endpoint: pass --endpoint URL or --stack NAME, set {ENDPOINT_ENV} or {STACK_ENV}, "
            f'or add endpoint = "URL" to {path}'
        )
    endpoint = value
    if kind == "stack":
        lookup = stack_endpoint or describe_stack_endpoint
        endpoint = lookup(value, region, aws_profile)
        source = f"the {API_URL_OUTPUT} output of stack {value} ({source})"
    return Settings(
        endpoint=endpoint,
        source=source,
        region=region,
        aws_profile=aws_profile,
        output=output,
        profile=name or "default",
    )


EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId"}


def credentials_problem(error: BaseException, aws_profile: str | None) -> CredentialsError | None:
    """A botocore failure that is about the caller's credentials, as one line with its fix."""
    from botocore.exceptions import (
        ClientError,
        NoCredentialsError,
        ProfileNotFound,
        SSOError,
        TokenRetrievalError,
    )

    login = f"aws sso login --profile {aws_profile}" if aws_profile else "aws sso login"
    if isinstance(error, ProfileNotFound):
        return CredentialsError(
            f"AWS profile {aws_profile!r} not found in your AWS config: create it with "
            f"`aws configure --profile {aws_profile}` or fix profile = in the drsctl config"
        )
    if isinstance(error, NoCredentialsError):
        return CredentialsError(
            "no AWS credentials found: run `aws configure` (or `aws sso login`), "
            "or set AWS_PROFILE or --profile"
        )
    if isinstance(error, TokenRetrievalError | SSOError):
        return CredentialsError(f"your AWS credentials have expired: run `{login}` and try again")
    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in EXPIRED_CODES:
        return CredentialsError(
            f"your AWS credentials have expired or are not valid: run `{login}` (or renew your keys) "
            "and try again"
        )
    return None


def describe_stack_endpoint(stack: str, region: str | None, aws_profile: str | None) -> str:
    """The API's URL from a deployed stack's outputs (CloudFormation DescribeStacks)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        session = boto3.Session(profile_name=aws_profile, region_name=region)
        if not session.region_name:
            raise SettingsError(
                f"no region to find stack {stack!r} in: pass --region, set AWS_REGION "
                "or add region = to the drsctl config"
            )
        answer = session.client("cloudformation").describe_stacks(StackName=stack)
    except EndpointConnectionError as e:
        raise SettingsError(
            f"cannot reach CloudFormation in {region or 'your region'}: check --region and your network"
        ) from e
    except (BotoCoreError, ClientError) as e:
        problem = credentials_problem(e, aws_profile)
        if problem is not None:
            raise problem from e
        code = e.response.get("Error", {}).get("Code") if isinstance(e, ClientError) else None
        if code == "ValidationError":
            raise SettingsError(
                f"no stack {stack!r} in {session.region_name}: check --stack (or {STACK_ENV}) and --region"
            ) from e
        if code in {"AccessDenied", "AccessDeniedException"}:
            raise CredentialsError(
                f"not allowed to read stack {stack!r} (cloudformation:DescribeStacks): "
                "use a profile whose role may describe it"
            ) from e
        raise SettingsError(f"cannot read stack {stack!r}: {e}") from e
    outputs = {o["OutputKey"]: o["OutputValue"] for o in answer["Stacks"][0].get("Outputs") or []}
    if API_URL_OUTPUT not in outputs:
        raise SettingsError(
            f"stack {stack!r} has no {API_URL_OUTPUT} output: is it a DRS Orchestrator stack "
            "(and is its deployment finished)?"
        )
    return str(outputs[API_URL_OUTPUT])


def environment() -> Mapping[str, str]:
    return os.environ
