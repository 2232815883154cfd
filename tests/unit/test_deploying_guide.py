"""From zero to a deployed stack: docs/deploying.md explains every parameter of template.yaml;
samconfig.toml's environments deploy without a question and override only parameters that exist,
with values the template accepts; `make admin` invites the console's first Administrator (Cognito
through moto); the Makefile's deploy, console upload and admin read one stack name and one Region."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from drs_sandbox.cfn import load_template
from scripts import create_admin
from scripts.samconfig import deploy_settings, environments, parameter_overrides

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"


def template_parameters() -> dict[str, dict[str, Any]]:
    parameters: dict[str, dict[str, Any]] = load_template()["Parameters"]
    return parameters


# --- docs/deploying.md ------------------------------------------------------------------------


def test_the_deploying_guide_explains_every_parameter_of_the_template() -> None:
    # Given template.yaml's parameters and the guide's parameter table
    guide = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Za-z0-9]+)` \| (.+) \|$", guide, re.M))
    # Then each parameter has a row of its own, with its default and a line of explanation
    missing = sorted(set(template_parameters()) - set(rows))
    assert not missing, f"docs/deploying.md does not explain {missing}"
    unknown = sorted(set(rows) - set(template_parameters()))
    assert not unknown, f"docs/deploying.md explains parameters template.yaml lacks: {unknown}"
    for name, row in rows.items():
        default, _sep, words = row.partition(" | ")
        expected = template_parameters()[name].get("Default", "")
        expected_text = ",".join(expected) if isinstance(expected, list) else str(expected)
        assert default.strip("` ") == expected_text or (not expected_text and default.strip() == "(empty)"), (
            name,
            default,
            expected_text,
        )
        assert len(words.split()) >= 5, f"{name}: say what it does"


def test_the_guide_names_what_a_removed_stack_retains() -> None:
    # Given the resources the template retains on deletion, Then the guide's removal section names each
    guide = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    removal = guide.split("## Removing the stack", 1)[1].split("\n## ", 1)[0]
    retained = sorted(
        name
        for name, resource in load_template()["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain"
        and resource["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")
    )
    assert retained
    assert [name for name in retained if f"`{name}`" not in removal] == []


# --- samconfig.toml ----------------------------------------------------------------------------


def test_samconfig_has_staging_and_prod_deploying_without_a_question() -> None:
    # Given samconfig.toml, Then staging and prod exist beside default, each with its own stack and
    # Region, and deploy without asking to confirm the change set (as a pipeline must)
    assert {"default", "staging", "prod"} <= set(environments())
    for env in ("staging", "prod"):
        settings = deploy_settings(env)
        assert settings["stack_name"] and settings["region"]
        assert settings["confirm_changeset"] is False
        assert settings["fail_on_empty_changeset"] is False
        assert "CAPABILITY_IAM" in settings["capabilities"]
    assert deploy_settings("staging")["stack_name"] != deploy_settings("prod")["stack_name"]
    assert deploy_settings("default")["confirm_changeset"] is True


@pytest.mark.parametrize("env", ["default", "staging", "prod"])
def test_samconfig_overrides_only_parameters_the_template_has_with_values_it_accepts(env: str) -> None:
    parameters = template_parameters()
    for name, value in parameter_overrides(env).items():
        assert name in parameters, f"{env}: {name} is no parameter of template.yaml"
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], (env, name, value)
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (env, name, value)
        if spec["Type"] == "Number":
            assert float(spec.get("MinValue", "-inf")) <= float(value) <= float(spec.get("MaxValue", "inf"))


def test_samconfig_prod_keeps_the_protections_of_the_template() -> None:
    # Production keeps MFA required and the report lock no shorter than the template's default
    prod = parameter_overrides("prod")
    assert prod.get("ConsoleMfa", "ON") == "ON"
    assert int(prod.get("ReportLockDays", "400")) >= int(template_parameters()["ReportLockDays"]["Default"])


# --- the Makefile: one stack name and one Region per environment -------------------------------


def make_dry_run(*args: str) -> list[str]:
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return dry.stdout.splitlines()


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_make_deploy_env_deploys_that_environment_then_uploads_the_console_to_the_same_stack(
    env: str,
) -> None:
    # When `make deploy ENV=<env>` is read (not run)
    lines = make_dry_run("deploy", f"ENV={env}")
    stack, region = deploy_settings(env)["stack_name"], deploy_settings(env)["region"]
    sam = next(shlex.split(line) for line in lines if " deploy " in f" {line} " and "sam" in line)
    upload = next(shlex.split(line) for line in lines if "deploy_console.py" in line)
    # Then sam deploys that environment's stack in its Region, and the console goes to that stack
    assert sam[sam.index("--config-env") + 1] == env
    assert sam[sam.index("--region") + 1] == region
    assert sam[sam.index("--stack-name") + 1] == stack
    assert upload[upload.index("--stack") + 1] == stack
    assert upload[upload.index("--region") + 1] == region


def test_make_admin_invites_into_the_environments_stack() -> None:
    lines = make_dry_run("admin", "ENV=staging", "EMAIL=ops@example.com")
    admin = next(shlex.split(line) for line in lines if "scripts.create_admin" in line)
    assert admin[admin.index("--stack") + 1] == deploy_settings("staging")["stack_name"]
    assert admin[admin.index("--region") + 1] == deploy_settings("staging")["region"]
    assert admin[admin.index("--email") + 1] == "ops@example.com"


# --- make admin: the first Administrator -------------------------------------------------------


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A user pool with the template's groups, and a stack whose outputs name it (moto)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool_id = cognito.create_user_pool(PoolName="drs-orchestrator-console", UsernameAttributes=["email"])[
            "UserPool"
        ]["Id"]
        for resource in load_template()["Resources"].values():
            if resource["Type"] == "AWS::Cognito::UserPoolGroup":
                cognito.create_group(GroupName=resource["Properties"]["GroupName"], UserPoolId=pool_id)
        outputs = {"ConsoleUserPoolId": pool_id, "ConsoleUrl": "https://d111111abcdef8.cloudfront.net/"}
        stack_template = {
            "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="drs-orchestrator", TemplateBody=json.dumps(stack_template)
        )
        yield {"pool": pool_id, **outputs}


def groups_of(pool_id: str, email: str) -> list[str]:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    return [
        g["GroupName"]
        for g in cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)["Groups"]
    ]


def admin(*extra: str) -> list[str]:
    return ["--stack", "drs-orchestrator", "--region", REGION, *extra]


def test_make_admin_invites_an_administrator_with_a_verified_address(
    deployed: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a deployed stack with no user; When make admin EMAIL=ops@example.com runs
    assert create_admin.main(admin("--email", "ops@example.com")) == 0
    # Then the user exists, waits for its first sign-in with the e-mailed password, its address is
    # verified, it is one of the Administrators, and the output says where to sign in
    cognito = boto3.client("cognito-idp", region_name=REGION)
    user = cognito.admin_get_user(UserPoolId=deployed["pool"], Username="ops@example.com")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert attributes["email"] == "ops@example.com"
    assert attributes["email_verified"] == "true"
    assert groups_of(deployed["pool"], "ops@example.com") == ["Administrators"]
    out = capsys.readouterr().out
    assert "ops@example.com invited as one of the Administrators" in out
    assert deployed["ConsoleUrl"] in out


def test_make_admin_again_keeps_the_user_and_sends_nothing_new(
    deployed: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an Administrator already invited; When make admin runs again for the same address
    assert create_admin.main(admin("--email", "ops@example.com")) == 0
    capsys.readouterr()
    assert create_admin.main(admin("--email", "ops@example.com")) == 0
    # Then it says so, and the user is still one Administrator
    assert "already a user" in capsys.readouterr().out
    cognito = boto3.client("cognito-idp", region_name=REGION)
    assert len(cognito.list_users(UserPoolId=deployed["pool"])["Users"]) == 1
    assert groups_of(deployed["pool"], "ops@example.com") == ["Administrators"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not an address"], "is not an e-mail address"),
        (["--email", ""], "is not an e-mail address"),
        (["--stack", "no-such-stack", "--email", "ops@example.com"], "no-such-stack"),
    ],
)
def test_make_admin_refuses_in_one_line_and_creates_no_one(
    deployed: dict[str, str], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = admin(*args) if args[0] != "--stack" else ["--region", REGION, *args]
    assert create_admin.main(argv) == 1
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    cognito = boto3.client("cognito-idp", region_name=REGION)
    assert cognito.list_users(UserPoolId=deployed["pool"])["Users"] == []


def test_the_administrators_group_is_the_templates() -> None:
    names = {
        r["Properties"]["GroupName"]
        for r in load_template()["Resources"].values()
        if r["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    assert create_admin.ADMINISTRATORS_GROUP in names


# --- the pipeline example ----------------------------------------------------------------------

PIPELINE = ROOT / "pipeline" / "codepipeline.yaml"


def test_cfn_lint_finds_nothing_in_the_pipeline_template() -> None:
    from cfnlint.api import ManualArgs, lint

    found = lint(PIPELINE.read_text(encoding="utf-8"), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in found] == []


def test_the_pipeline_validates_builds_deploys_staging_then_prod_after_an_approval() -> None:
    # Given the pipeline template, Then its stages run in the order a delivery needs, and each deploy
    # names its samconfig environment; the buildspecs and the make targets they run exist
    from scripts.check_pipeline import problems

    pipeline = load_template(PIPELINE)["Resources"]["Pipeline"]["Properties"]
    stages = [stage["Name"] for stage in pipeline["Stages"]]
    assert stages == ["Source", "Validate", "BuildAndPackage", "DeployStaging", "ApproveProd", "DeployProd"]
    deploy_envs = [
        json.loads(action["Configuration"]["EnvironmentVariables"])[0]["value"]
        for stage in pipeline["Stages"]
        if stage["Name"].startswith("Deploy")
        for action in stage["Actions"]
    ]
    assert deploy_envs == ["staging", "prod"]
    assert problems() == []


def test_the_pipeline_deploy_step_deploys_the_package_and_uploads_the_console() -> None:
    spec = (ROOT / "pipeline" / "buildspec_deploy.yml").read_text(encoding="utf-8")
    assert 'sam deploy --template-file "$CODEBUILD_SRC_DIR_Packaged/packaged-template.yaml"' in spec
    assert '--config-env "$DEPLOY_ENV"' in spec
    assert "frontend/deploy/deploy_console.py" in spec
    build = (ROOT / "pipeline" / "buildspec_build_package.yml").read_text(encoding="utf-8")
    assert "make build console" in build
    assert "sam package" in build
    validate = (ROOT / "pipeline" / "buildspec_validate.yml").read_text(encoding="utf-8")
    assert "make lint validate unit" in validate


def test_the_pipeline_check_names_a_missing_make_target_and_a_missing_environment(tmp_path: Path) -> None:
    # Given a pipeline whose buildspec runs a target the Makefile lacks and whose deploy names an
    # environment samconfig.toml lacks; Then the check names both
    from scripts import check_pipeline

    spec = tmp_path / "buildspec.yml"
    spec.write_text(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - make lint no-such-target ENV=x\n"
    )
    template = PIPELINE.read_text(encoding="utf-8")
    template = template.replace("BuildSpec: pipeline/buildspec_validate.yml", f"BuildSpec: {spec}")
    template = template.replace('"value": "prod"', '"value": "production"')
    broken = tmp_path / "codepipeline.yaml"
    broken.write_text(template, encoding="utf-8")
    found = check_pipeline.problems(broken)
    assert any("make no-such-target: no such target" in p for p in found), found
    assert any("'production' is no samconfig.toml environment" in p for p in found), found
    assert not any("make lint" in p for p in found)


def test_make_test_lints_the_pipeline() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_prerequisites = re.search(r"^test: (.*?)##", makefile, re.M)
    assert test_prerequisites and "pipeline-lint" in test_prerequisites.group(1).split()
    recipe = makefile.split("\npipeline-lint:", 1)[1].split("\n\n", 1)[0]
    assert "cfn-lint pipeline/codepipeline.yaml" in recipe
    assert "checkov" in recipe
    assert "scripts/check_pipeline.py" in recipe


# --- the README's quick start ------------------------------------------------------------------


def test_the_readme_starts_with_the_two_commands_then_a_quick_start_with_measured_times() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    # Given the README; Then after its title come the `make demo` / `make test` block, first thing
    assert lines[0] == "# DRS Orchestrator"
    block = lines[lines.index("```") + 1 : lines.index("```", lines.index("```") + 1)]
    assert [line.split()[:2] for line in block] == [["make", "demo"], ["make", "test"]]
    assert all(line == "" or line.startswith("```") for line in lines[1 : lines.index("```")])
    # And a quick start with the prerequisites, the times and how they were measured
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    for words in (
        "Python 3.11",
        "Node.js 18",
        "Set-up times, measured",
        "taken with `date`",
        "Where to go next",
    ):
        assert words in quick, words


@pytest.mark.parametrize("page", ["README.md", "docs/deploying.md", "CHANGELOG.md"])
def test_every_relative_link_of_the_guide_leads_to_a_file(page: str) -> None:
    path = ROOT / page
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    assert links or page == "CHANGELOG.md"
    assert [link for link in links if not (path.parent / link).exists()] == []
