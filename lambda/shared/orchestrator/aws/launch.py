"""Launch settings adapter: a source server's DRS launch configuration and the EC2 launch template DRS
made for it, plus the EC2 look-ups that validate a network (subnets, security groups, instance types).

Launch templates are versioned and never edited in place: a change is a new version (made from the
current default with ``SourceVersion``) made the default; the previous version stays, so it can be
made the default again (``set_default_version``), which is what a drill override's restore needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_drs import DrsClient
    from mypy_boto3_ec2 import EC2Client

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.errors import SpecificErrors, translate
from orchestrator.exceptions import NotFoundError, ValidationFailedError

# DescribeSubnets / DescribeSecurityGroups filter values per call; instance types per offerings call.
MAX_FILTER_VALUES = 200
# What UpdateLaunchConfiguration may set (the fields this product manages).
DRS_FIELDS = (
    "copyPrivateIp",
    "copyTags",
    "licensing",
    "launchDisposition",
    "targetInstanceTypeRightSizingMethod",
)

_DRS_SPECIFIC: SpecificErrors = {
    "ResourceNotFoundException": lambda m: NotFoundError(m, code="DRS_RESOURCE_NOT_FOUND"),
    "ValidationException": lambda m: ValidationFailedError(m, code="DRS_VALIDATION"),
}
_EC2_SPECIFIC: SpecificErrors = {
    "InvalidLaunchTemplateId.NotFound": lambda m: NotFoundError(m, code="LAUNCH_TEMPLATE_NOT_FOUND"),
    "InvalidLaunchTemplateId.Malformed": lambda m: NotFoundError(m, code="LAUNCH_TEMPLATE_NOT_FOUND"),
    "InvalidLaunchTemplateId.VersionNotFound": lambda m: NotFoundError(m, code="LAUNCH_TEMPLATE_NOT_FOUND"),
}


@dataclass(frozen=True)
class TemplateVersion:
    """One version of a launch template: its number and its LaunchTemplateData."""

    template_id: str
    number: int
    data: dict[str, Any]


class LaunchPort(Protocol):
    """What the launch settings operations call (LaunchAws over DRS and EC2)."""

    def launch_configuration(self, source_server_id: str) -> dict[str, Any]: ...

    def update_launch_configuration(
        self, source_server_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    def default_version(self, template_id: str) -> TemplateVersion: ...

    def new_default_version(
        self, template_id: str, source_version: int, data: Mapping[str, Any], description: str
    ) -> TemplateVersion: ...

    def set_default_version(self, template_id: str, number: int) -> None: ...

    def subnets(self, subnet_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def security_groups(self, group_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def offered_instance_types(self, instance_types: Sequence[str]) -> set[str]: ...


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    ordered = sorted(set(items))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


class LaunchAws:
    def __init__(self, drs: DrsClient, ec2: EC2Client):
        self.drs = drs
        self.ec2 = ec2

    def _drs(self, operation: str, name: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self.drs, operation)(**kwargs)
        except (ClientError, BotoCoreError) as e:
            raise translate(e, "DRS", name, _DRS_SPECIFIC) from e
        return response

    def _ec2(self, operation: str, name: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self.ec2, operation)(**kwargs)
        except (ClientError, BotoCoreError) as e:
            raise translate(e, "EC2", name, _EC2_SPECIFIC) from e
        return response

    def launch_configuration(self, source_server_id: str) -> dict[str, Any]:
        response = self._drs(
            "get_launch_configuration", "GetLaunchConfiguration", sourceServerID=source_server_id
        )
        response.pop("ResponseMetadata", None)
        return response

    def update_launch_configuration(
        self, source_server_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        unknown = set(changes) - set(DRS_FIELDS)
        if unknown:
            raise ValueError(f"not a managed launch configuration field: {sorted(unknown)}")
        response = self._drs(
            "update_launch_configuration",
            "UpdateLaunchConfiguration",
            sourceServerID=source_server_id,
            **dict(changes),
        )
        response.pop("ResponseMetadata", None)
        return response

    def default_version(self, template_id: str) -> TemplateVersion:
        versions = self._ec2(
            "describe_launch_template_versions",
            "DescribeLaunchTemplateVersions",
            LaunchTemplateId=template_id,
            Versions=["$Default"],
        ).get("LaunchTemplateVersions", [])
        if not versions:
            raise NotFoundError(
                f"EC2 launch template {template_id} has no default version", code="LAUNCH_TEMPLATE_NOT_FOUND"
            )
        version = versions[0]
        return TemplateVersion(
            template_id, int(version["VersionNumber"]), dict(version.get("LaunchTemplateData") or {})
        )

    def new_default_version(
        self, template_id: str, source_version: int, data: Mapping[str, Any], description: str
    ) -> TemplateVersion:
        """A new version made from ``source_version`` with ``data`` (the whole data: what EC2 merges
        from the source is given again, so the result is the same wherever the merge is partial),
        then made the default. The source version is left as it was."""
        created = self._ec2(
            "create_launch_template_version",
            "CreateLaunchTemplateVersion",
            LaunchTemplateId=template_id,
            SourceVersion=str(source_version),
            VersionDescription=description[:255],
            LaunchTemplateData=dict(data),
        )["LaunchTemplateVersion"]
        number = int(created["VersionNumber"])
        self.set_default_version(template_id, number)
        return TemplateVersion(template_id, number, dict(created.get("LaunchTemplateData") or data))

    def set_default_version(self, template_id: str, number: int) -> None:
        self._ec2(
            "modify_launch_template",
            "ModifyLaunchTemplate",
            LaunchTemplateId=template_id,
            DefaultVersion=str(number),
        )

    def _describe(
        self, lookup: tuple[str, str, str, str, str], ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        operation, name, filter_name, items, key = lookup
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids, MAX_FILTER_VALUES):
            # Filtering by id (not by the Ids parameter) tolerates ids EC2 does not know.
            page = self._ec2(operation, name, Filters=[{"Name": filter_name, "Values": chunk}])
            for item in page.get(items, []):
                found[str(item[key])] = dict(item)
        return found

    def subnets(self, subnet_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Subnet id -> {SubnetId, VpcId, CidrBlock, AvailabilityZone, ...} of those that exist."""
        return self._describe(
            ("describe_subnets", "DescribeSubnets", "subnet-id", "Subnets", "SubnetId"), subnet_ids
        )

    def security_groups(self, group_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Group id -> {GroupId, VpcId, GroupName, ...} of those that exist."""
        return self._describe(
            ("describe_security_groups", "DescribeSecurityGroups", "group-id", "SecurityGroups", "GroupId"),
            group_ids,
        )

    def offered_instance_types(self, instance_types: Sequence[str]) -> set[str]:
        """The types of ``instance_types`` offered in this Region."""
        offered: set[str] = set()
        for chunk in _chunks(instance_types, MAX_FILTER_VALUES):
            kwargs: dict[str, Any] = {
                "LocationType": "region",
                "Filters": [{"Name": "instance-type", "Values": chunk}],
            }
            while True:
                page = self._ec2(
                    "describe_instance_type_offerings", "DescribeInstanceTypeOfferings", **kwargs
                )
                offered.update(str(o["InstanceType"]) for o in page.get("InstanceTypeOfferings", []))
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return offered
