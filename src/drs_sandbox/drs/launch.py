"""A source server's DRS launch configuration (Get/UpdateLaunchConfiguration) and where its recovery
instance lands: read from the default version of its EC2 launch template, as DRS does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drs_sandbox.drs import errors

RIGHT_SIZING_METHODS = ("NONE", "BASIC", "IN_AWS")
DISPOSITIONS = ("STOPPED", "STARTED")


@dataclass
class LaunchConfiguration:
    """DRS's defaults for a new source server, then whatever UpdateLaunchConfiguration set."""

    name: str
    launch_disposition: str = "STARTED"
    right_sizing: str = "BASIC"
    copy_private_ip: bool = False
    copy_tags: bool = True
    os_byol: bool = True
    post_launch_enabled: bool = False

    def update(self, body: dict[str, Any]) -> None:
        """The fields given (all checked before any is set)."""
        disposition = body.get("launchDisposition", self.launch_disposition)
        right_sizing = body.get("targetInstanceTypeRightSizingMethod", self.right_sizing)
        if disposition not in DISPOSITIONS:
            raise errors.validation_error(f"Invalid launchDisposition {disposition}", "fieldValidationFailed")
        if right_sizing not in RIGHT_SIZING_METHODS:
            raise errors.validation_error(
                f"Invalid targetInstanceTypeRightSizingMethod {right_sizing}", "fieldValidationFailed"
            )
        self.launch_disposition = disposition
        self.right_sizing = right_sizing
        self.name = str(body.get("name", self.name))
        self.copy_private_ip = bool(body.get("copyPrivateIp", self.copy_private_ip))
        self.copy_tags = bool(body.get("copyTags", self.copy_tags))
        self.post_launch_enabled = bool(body.get("postLaunchEnabled", self.post_launch_enabled))
        if "licensing" in body:
            self.os_byol = bool((body["licensing"] or {}).get("osByol", self.os_byol))

    def to_wire(self, source_server_id: str, template_id: str) -> dict[str, Any]:
        return {
            "sourceServerID": source_server_id,
            "name": self.name,
            "ec2LaunchTemplateID": template_id,
            "launchDisposition": self.launch_disposition,
            "targetInstanceTypeRightSizingMethod": self.right_sizing,
            "copyPrivateIp": self.copy_private_ip,
            "copyTags": self.copy_tags,
            "licensing": {"osByol": self.os_byol},
            "postLaunchEnabled": self.post_launch_enabled,
        }


def placement_of(data: dict[str, Any], config: LaunchConfiguration, source_ip: str) -> dict[str, Any]:
    """RunInstances parameters from a launch template version's data: the primary interface's subnet,
    security groups and private IP (the source server's own with copyPrivateIp), and the instance
    tags the template adds (``tags``)."""
    placement: dict[str, Any] = {}
    interface = next(
        (i for i in data.get("NetworkInterfaces") or [] if int(i.get("DeviceIndex") or 0) == 0), None
    )
    if interface is not None:
        if interface.get("SubnetId"):
            placement["SubnetId"] = interface["SubnetId"]
        if interface.get("Groups"):
            placement["SecurityGroupIds"] = list(interface["Groups"])
        if interface.get("PrivateIpAddress"):
            placement["PrivateIpAddress"] = interface["PrivateIpAddress"]
    if data.get("SecurityGroupIds") and "SecurityGroupIds" not in placement:
        placement["SecurityGroupIds"] = list(data["SecurityGroupIds"])
    if config.copy_private_ip:
        placement["PrivateIpAddress"] = source_ip
    tags: dict[str, str] = {}
    for spec in data.get("TagSpecifications") or []:
        if spec.get("ResourceType") == "instance":
            tags.update({str(t["Key"]): str(t["Value"]) for t in spec.get("Tags") or []})
    placement["tags"] = tags
    return placement
