"""The stack's own defences, read from template.yaml through the sandbox's template loader and
resolver (the template as CloudFormation would evaluate it, with its defaults or given parameters):
reports kept as evidence no one can quietly remove, a console whose sign-in needs MFA and is guarded
against credential attacks, access logs everywhere, and a template cfn-lint finds clean."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from drs_sandbox import cfn
from orchestrator.reports.store import S3Reports, report_key

ACCOUNT = "123456789012"
ROOT = Path(__file__).resolve().parents[2]
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f0e0d0c-1111-2222-3333-444455556666"
WEB_ACL = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/console/abcd-1234"
# The acts that would let someone rewrite or remove a report, or loosen the bucket that keeps them.
UNDOING = (
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.load_template()


def resolved(template: dict[str, Any], logical_id: str, **parameters: str) -> dict[str, Any]:
    """A resource's properties as CloudFormation evaluates them with these parameters (the rest at
    their defaults)."""
    resolver = cfn.Resolver(
        template,
        {**cfn.parameter_defaults(template), **parameters},
        attributes={
            "ConsoleDistribution.DomainName": "d111111abcdef8.cloudfront.net",
            "ConsoleOriginAccessControl.Id": "E2QWRUHAPOMQZL",
        },
        account_id=ACCOUNT,
    )
    properties: dict[str, Any] = resolver.resolve(template["Resources"][logical_id].get("Properties") or {})
    return properties


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------------- the reports bucket
def test_every_report_version_is_locked_in_governance_mode_for_a_parameter_of_days(
    template: dict[str, Any],
) -> None:
    """Given the reports bucket; then Object Lock is on with a GOVERNANCE default retention of
    ReportLockDays (a stack parameter), on a versioned bucket, as Object Lock requires."""
    bucket = resolved(template, "ReportsBucket", ReportLockDays="30")
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": "30"}},
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    parameter = template["Parameters"]["ReportLockDays"]
    assert parameter["Type"] == "Number" and int(parameter["Default"]) >= 1
    assert template["Resources"]["ReportsBucket"]["DeletionPolicy"] == "Retain"


def test_the_reports_bucket_policy_denies_everyone_but_root_the_acts_that_undo_evidence(
    template: dict[str, Any],
) -> None:
    """Given the reports bucket's policy; then one Deny statement for every principal covers the
    ACL, policy, lifecycle, version-deletion and governance-bypass actions on the bucket and its
    objects, excepting only the account's root user; and the policy is retained with the bucket."""
    policy = resolved(template, "ReportsBucketPolicy")["PolicyDocument"]
    (deny,) = [
        s for s in policy["Statement"] if s["Effect"] == "Deny" and "s3:DeleteObjectVersion" in s["Action"]
    ]
    assert deny["Principal"] == "*"
    assert set(UNDOING) <= set(deny["Action"])
    bucket = "arn:aws:s3:::" + cfn.Resolver(template, account_id=ACCOUNT).physical_id("ReportsBucket")
    assert sorted(deny["Resource"]) == [bucket, bucket + "/*"]
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:root"}}
    assert template["Resources"]["ReportsBucketPolicy"]["DeletionPolicy"] == "Retain"


def _allowed_actions(template: dict[str, Any], function: str) -> tuple[list[str], list[Any]]:
    """Every action an Allow statement of the function's inline policies grants, and the SAM policy
    templates it uses (named, not expanded)."""
    actions: list[str] = []
    templates: list[Any] = []
    for policy in template["Resources"][function]["Properties"].get("Policies") or []:
        if isinstance(policy, dict) and "Statement" in policy:
            for statement in policy["Statement"]:
                if statement.get("Effect") == "Allow":
                    actions += as_list(statement["Action"])
        else:
            templates.append(policy)
    return actions, templates


@pytest.mark.parametrize("function", ["ExecutionHandlerFunction", "NotificationFormatterFunction"])
def test_no_function_of_the_stack_may_undo_a_report(template: dict[str, Any], function: str) -> None:
    """Given each function's role; then no statement grants an action that would change the reports
    bucket's ACLs, policy or lifecycle, delete a version or bypass governance (wildcards included),
    and no SAM S3 policy template (they carry s3:PutObjectAcl and s3:PutLifecycleConfiguration)."""
    actions, templates = _allowed_actions(template, function)
    granted = [a for a in actions if any(fnmatch.fnmatchcase(u.lower(), a.lower()) for u in UNDOING)]
    assert granted == []
    assert not [t for t in templates if any(str(name).startswith("S3") for name in t)]


def test_the_execution_handler_writes_and_reads_report_objects_and_nothing_else_in_s3(
    template: dict[str, Any],
) -> None:
    """Given the execution handler's role; then its only S3 grants are PutObject under reports/ and
    GetObject under reports/ (what the presigned report links read with)."""
    s3 = [
        statement
        for policy in template["Resources"]["ExecutionHandlerFunction"]["Properties"]["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
        if any(str(a).startswith("s3:") for a in as_list(statement["Action"]))
    ]
    assert [(s["Action"], s["Resource"]) for s in s3] == [
        (["s3:PutObject"], {"Fn::Sub": "${ReportsBucket.Arn}/reports/*"}),
        (["s3:GetObject"], {"Fn::Sub": "${ReportsBucket.Arn}/reports/*"}),
    ]
    assert report_key("p", "e", "html").startswith("reports/")


@pytest.fixture
def locked_bucket(template: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The reports bucket in moto, locked as the template says (as the sandbox creates it)."""
    properties = resolved(template, "ReportsBucket")
    retention = properties["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="drs-reports", ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(
            Bucket="drs-reports",
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": retention["Mode"], "Days": int(retention["Days"])}},
            },
        )
        yield s3, "drs-reports"


def test_a_regenerated_report_is_a_new_version_and_the_old_one_stays_locked(
    locked_bucket: tuple[Any, str],
) -> None:
    """Given the locked reports bucket; when the report writer writes an execution's report, then
    writes it again (a report regenerated); then both writes succeed (boto3 sends the checksum
    Object Lock requires), each key has two versions under GOVERNANCE retention, and deleting the
    first version is refused."""
    s3, bucket = locked_bucket
    reports = S3Reports(s3, bucket)
    reports.put("plan-1", "exec-1", json_body='{"v": 1}', html_body="<p>first</p>")
    reports.put("plan-1", "exec-1", json_body='{"v": 2}', html_body="<p>second</p>")

    key = report_key("plan-1", "exec-1", "html")
    versions = [v for v in s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"] if v["Key"] == key]
    assert len(versions) == 2
    latest = s3.get_object(Bucket=bucket, Key=key)
    assert latest["Body"].read() == b"<p>second</p>" and latest["ObjectLockMode"] == "GOVERNANCE"
    oldest = next(v for v in versions if not v["IsLatest"])
    first = s3.get_object(Bucket=bucket, Key=key, VersionId=oldest["VersionId"])
    assert first["Body"].read() == b"<p>first</p>"
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=key, VersionId=oldest["VersionId"])


# ---------------------------------------------------------------------- the console's sign-in
def test_console_users_need_mfa_unless_the_stack_relaxes_it_to_optional(template: dict[str, Any]) -> None:
    """Given the user pool; then MFA (TOTP) is required by default, and the parameter can only
    relax it to OPTIONAL, never turn it off."""
    parameter = template["Parameters"]["ConsoleMfa"]
    assert parameter["Default"] == "ON" and sorted(parameter["AllowedValues"]) == ["ON", "OPTIONAL"]
    pool = resolved(template, "ConsoleUserPool")
    assert (pool["MfaConfiguration"], pool["EnabledMfas"]) == ("ON", ["SOFTWARE_TOKEN_MFA"])
    assert resolved(template, "ConsoleUserPool", ConsoleMfa="OPTIONAL")["MfaConfiguration"] == "OPTIONAL"


def test_the_user_pool_enforces_threat_protection_and_cannot_be_deleted(template: dict[str, Any]) -> None:
    """Given the user pool; then threat protection is ENFORCED (the Plus tier it needs) and
    deletion protection is ACTIVE."""
    pool = resolved(template, "ConsoleUserPool")
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["DeletionProtection"] == "ACTIVE"


# ---------------------------------------------------------------------- the console's edge
def test_every_console_response_denies_browser_features_with_a_permissions_policy(
    template: dict[str, Any],
) -> None:
    """Given the console's response headers policy; then it sets Permissions-Policy (overriding the
    origin) with no feature granted, beside the security headers; and every behaviour uses it."""
    config = resolved(template, "ConsoleSecurityHeaders")["ResponseHeadersPolicyConfig"]
    (header,) = [h for h in config["CustomHeadersConfig"]["Items"] if h["Header"] == "Permissions-Policy"]
    assert header["Override"] is True
    features = dict(item.strip().split("=", 1) for item in header["Value"].split(","))
    assert {"camera", "microphone", "geolocation", "payment", "usb"} <= set(features)
    assert set(features.values()) == {"()"}
    assert {"ContentSecurityPolicy", "StrictTransportSecurity", "FrameOptions"} <= set(
        config["SecurityHeadersConfig"]
    )
    distribution = resolved(template, "ConsoleDistribution")["DistributionConfig"]
    behaviours = [distribution["DefaultCacheBehavior"], *distribution["CacheBehaviors"]]
    assert all("ResponseHeadersPolicyId" in b for b in behaviours)


def test_the_console_takes_its_own_certificate_names_and_web_acl_when_given(template: dict[str, Any]) -> None:
    """Given a certificate, aliases and a web ACL; then the distribution serves those names with
    TLS 1.2 (2021 policy) at least, behind the web ACL, and Cognito accepts the first name as a
    callback; given none, it keeps the cloudfront.net certificate and has no web ACL."""
    given = resolved(
        template,
        "ConsoleDistribution",
        ConsoleCertificateArn=CERTIFICATE,
        ConsoleAliases="dr.example.com,dr.example.org",
        ConsoleWebAclArn=WEB_ACL,
    )["DistributionConfig"]
    assert given["Aliases"] == ["dr.example.com", "dr.example.org"]
    assert given["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert given["WebACLId"] == WEB_ACL
    client = resolved(
        template, "ConsoleUserPoolClient", ConsoleCertificateArn=CERTIFICATE, ConsoleAliases="dr.example.com"
    )
    assert "https://dr.example.com/" in client["CallbackURLs"]

    default = resolved(template, "ConsoleDistribution")["DistributionConfig"]
    assert default["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert "Aliases" not in default and "WebACLId" not in default
    for name in ("ConsoleCertificateArn", "ConsoleWebAclArn"):
        pattern = template["Parameters"][name]["AllowedPattern"]
        assert re.match(pattern, "") and not re.match(pattern, "arn:aws:iam::123456789012:role/x")


# ---------------------------------------------------------------------- access logs
def test_api_cloudfront_and_both_buckets_write_access_logs(template: dict[str, Any]) -> None:
    """Given the defaults; then the API stage writes access logs to its log group, the distribution
    to the logs bucket, and both buckets their S3 server access logs to the logs bucket."""
    assert template["Parameters"]["EnableApiAccessLogs"]["Default"] == "true"
    api = resolved(template, "OrchestratorApi")
    log_group = cfn.Resolver(template, account_id=ACCOUNT).get_att("ApiAccessLogGroup", "Arn")
    assert api["AccessLogSetting"]["DestinationArn"] == log_group
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]

    logs = cfn.Resolver(template, account_id=ACCOUNT).physical_id("LogsBucket")
    distribution = resolved(template, "ConsoleDistribution")["DistributionConfig"]
    assert distribution["Logging"] == {
        "Bucket": f"{logs}.s3.amazonaws.com",
        "Prefix": "cloudfront/",
        "IncludeCookies": False,
    }
    for bucket, prefix in (("ReportsBucket", "s3/reports/"), ("ConsoleBucket", "s3/console/")):
        assert resolved(template, bucket)["LoggingConfiguration"] == {
            "DestinationBucketName": logs,
            "LogFilePrefix": prefix,
        }


def test_the_logs_bucket_accepts_log_delivery_and_is_private_encrypted_and_expiring(
    template: dict[str, Any],
) -> None:
    """Given the logs bucket; then its ownership allows CloudFront's ACL-based delivery, it is
    encrypted, blocks public access, expires logs after LogRetentionDays, and its policy lets S3's
    logging service write under s3/ for this account only, over TLS only."""
    bucket = resolved(template, "LogsBucket", LogRetentionDays="90")
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert (
        all(bucket["PublicAccessBlockConfiguration"].values())
        and len(bucket["PublicAccessBlockConfiguration"]) == 4
    )
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", "90")
    statements = resolved(template, "LogsBucketPolicy")["PolicyDocument"]["Statement"]
    (delivery,) = [s for s in statements if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject" and delivery["Resource"].endswith("/s3/*")
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


# ---------------------------------------------------------------------- linters
def test_cfn_lint_finds_nothing_in_the_template() -> None:
    """Given template.yaml; when cfn-lint reads it with the command line's rules; then it reports
    nothing."""
    from cfnlint.api import ManualArgs, lint

    found = lint(
        (ROOT / "template.yaml").read_text(encoding="utf-8"), config=ManualArgs(regions=["us-east-1"])
    )
    assert [str(m) for m in found] == []


def test_every_checkov_skip_says_why_and_make_test_runs_checkov(template: dict[str, Any]) -> None:
    """Given the template's checkov skips; then each names a check and gives a reason; and `make
    test` runs the checkov target, whose version is pinned in pyproject.toml."""
    skips = [
        skip
        for resource in template["Resources"].values()
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", [])
    ]
    assert skips and all(
        re.fullmatch(r"CKV_AWS_\d+", s["id"]) and len(s.get("comment", "")) > 20 for s in skips
    )
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (test_line,) = [line for line in makefile.splitlines() if line.startswith("test:")]
    assert " checkov " in test_line
    assert re.search(r'^checkov = \["checkov==[0-9.]+"\]$', (ROOT / "pyproject.toml").read_text(), re.M)
