"""EC2 adapter: instance details of recovery instances, by id lists; what a launch template names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.drs import chunks
from orchestrator.aws.errors import translate, translated

MAX_IDS = 200
# EC2's PlatformDetails -> the operatingSystem the AWS Price List names (others are kept as EC2 says,
# and the Price List then has no price for them: a licence the list cannot price is not guessed).
_PRICE_LIST_OS = {
    "Linux/UNIX": "Linux",
    "Windows": "Windows",
    "Red Hat Enterprise Linux": "RHEL",
    "SUSE Linux": "SUSE",
}
# What a launch template names, and how EC2 is asked whether it exists.
_LOOKUPS = {
    "subnet": ("describe_subnets", "DescribeSubnets", "subnet-id", "Subnets", "SubnetId"),
    "security group": (
        "describe_security_groups",
        "DescribeSecurityGroups",
        "group-id",
        "SecurityGroups",
        "GroupId",
    ),
}


class Ec2:
    def __init__(self, client: EC2Client):
        self.client = client

    def instances(self, instance_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Instance id -> {ec2State, privateIp, privateDnsName, instanceType, launchTime, platform}."""
        details: dict[str, dict[str, Any]] = {}
        for chunk in chunks(sorted(set(instance_ids)), MAX_IDS):
            # Filtering by instance-id (not InstanceIds) tolerates ids EC2 no longer knows.
            kwargs: dict[str, Any] = {
                "Filters": [{"Name": "instance-id", "Values": chunk}],
                "MaxResults": 1000,
            }
            while True:
                with translated("EC2", "DescribeInstances"):
                    page = self.client.describe_instances(**kwargs)
                for reservation in page.get("Reservations", []):
                    for instance in reservation.get("Instances", []):
                        launch = instance.get("LaunchTime")
                        details[instance["InstanceId"]] = {
                            "ec2State": instance.get("State", {}).get("Name"),
                            "privateIp": instance.get("PrivateIpAddress"),
                            "privateDnsName": instance.get("PrivateDnsName") or None,
                            "instanceType": instance.get("InstanceType"),
                            "launchTime": launch.isoformat() if isinstance(launch, datetime) else launch,
                            "platform": platform_of(instance),
                        }
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return details

    def status_checks_ok(self, instance_ids: Sequence[str]) -> dict[str, bool]:
        """Instance id -> both EC2 status checks passed."""
        result: dict[str, bool] = {}
        for chunk in chunks(sorted(set(instance_ids)), MAX_IDS):
            with translated("EC2", "DescribeInstanceStatus"):
                page = self.client.describe_instance_status(InstanceIds=chunk, IncludeAllInstances=True)
            for status in page.get("InstanceStatuses", []):
                result[status["InstanceId"]] = (
                    status.get("InstanceStatus", {}).get("Status") == "ok"
                    and status.get("SystemStatus", {}).get("Status") == "ok"
                )
        return result

    def launch_template_problems(self, template_id: str) -> list[str]:
        """What is wrong with a DRS launch template: it does not exist, or the subnet or security
        groups of its default version do not (an empty list when all exist)."""
        try:
            versions = self.client.describe_launch_template_versions(
                LaunchTemplateId=template_id, Versions=["$Default"]
            ).get("LaunchTemplateVersions", [])
        except ClientError as e:
            if e.response.get("Error", {}).get("Code", "").startswith("InvalidLaunchTemplate"):
                return [f"EC2 launch template {template_id} does not exist"]
            raise translate(e, "EC2", "DescribeLaunchTemplateVersions") from e
        except BotoCoreError as e:
            raise translate(e, "EC2", "DescribeLaunchTemplateVersions") from e
        if not versions:
            return [f"EC2 launch template {template_id} has no default version"]
        data: dict[str, Any] = dict(versions[0].get("LaunchTemplateData") or {})
        interfaces = list(data.get("NetworkInterfaces") or [])
        subnets = sorted({str(i["SubnetId"]) for i in interfaces if i.get("SubnetId")})
        groups = sorted(
            {str(g) for i in interfaces for g in i.get("Groups") or []}
            | {str(g) for g in data.get("SecurityGroupIds") or []}
        )
        problems: list[str] = []
        for kind, ids in (("subnet", subnets), ("security group", groups)):
            found = self._existing(kind, ids) if ids else set()
            problems += [
                f"{kind} {i} of launch template {template_id} does not exist" for i in ids if i not in found
            ]
        return problems

    def _existing(self, kind: str, ids: list[str]) -> set[str]:
        """The ids of ``ids`` EC2 knows (filtering by id tolerates unknown ones)."""
        method, operation, filter_name, items, key = _LOOKUPS[kind]
        with translated("EC2", operation):
            page = getattr(self.client, method)(Filters=[{"Name": filter_name, "Values": ids}])
        return {str(item[key]) for item in page.get(items, [])}


def platform_of(instance: Mapping[str, Any]) -> str:
    """The operating system of an instance as the AWS Price List names it (EC2's PlatformDetails;
    without it, ``Platform`` is "windows" for Windows and absent for Linux)."""
    details = str(instance.get("PlatformDetails") or "")
    if details:
        return _PRICE_LIST_OS.get(details, details)
    return "Windows" if str(instance.get("Platform") or "").lower() == "windows" else "Linux"
