"""A group's ``launchSettings`` per member server, as pure functions (no AWS calls):

- ``desired_for``: what the group wants of one server (its ``serverOverrides`` applied), as flat
  fields (FIELDS);
- ``actual_of``: the same fields read from the server's DRS launch configuration and the default
  version of its EC2 launch template;
- ``drift``: every field whose actual value is not the desired one (someone changed it by hand, or an
  apply did not finish);
- ``drs_changes`` / ``template_data``: what UpdateLaunchConfiguration and a new launch template
  version must carry to make the actual values the desired ones (None / {} when nothing differs);
- ``problems``: the validation of the settings against what EC2 says exists (subnets, security
  groups, instance types), naming the server and field of each problem.

``instanceType`` is a type, or ``RIGHT_SIZING``: DRS picks the type (its right-sizing method BASIC)
and the template's type is left alone; a type turns DRS's right-sizing off (NONE) and is written to
the template.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RIGHT_SIZING = "RIGHT_SIZING"
# The DRS launch configuration fields (UpdateLaunchConfiguration), by their name in the view.
DRS_FIELDS = (
    "copyPrivateIp",
    "copyTags",
    "osByol",
    "launchDisposition",
    "targetInstanceTypeRightSizingMethod",
)
# The launch template fields (of its default version).
TEMPLATE_FIELDS = ("instanceType", "subnetId", "securityGroupIds", "privateIpAddress", "tags")
FIELDS = DRS_FIELDS + TEMPLATE_FIELDS
OVERRIDE_FIELDS = ("instanceType", "subnetId", "securityGroupIds", "privateIpAddress")


@dataclass(frozen=True)
class Problem:
    """A launch setting that cannot be applied: the field (its path in the group), the server it
    concerns (None: every member) and why."""

    field: str
    message: str
    source_server_id: str | None = None

    def text(self) -> str:
        where = f"server {self.source_server_id}: " if self.source_server_id else ""
        return f"{where}{self.field}: {self.message}"


def desired_for(settings: Mapping[str, Any], source_server_id: str) -> dict[str, Any]:
    """The fields the group manages for this server (a field the group does not name is absent).
    ``tags`` are the tags the group adds (other tags of the template are left as they are)."""
    override = dict((settings.get("serverOverrides") or {}).get(source_server_id) or {})
    merged = {**{k: v for k, v in settings.items() if k != "serverOverrides"}, **override}
    desired: dict[str, Any] = {}
    for field in ("copyPrivateIp", "copyTags", "launchDisposition"):
        if field in merged:
            desired[field] = merged[field]
    if "licensing" in merged and "osByol" in (merged["licensing"] or {}):
        desired["osByol"] = bool(merged["licensing"]["osByol"])
    if "instanceType" in merged:
        if merged["instanceType"] == RIGHT_SIZING:
            desired["targetInstanceTypeRightSizingMethod"] = "BASIC"
        else:
            desired["targetInstanceTypeRightSizingMethod"] = "NONE"
            desired["instanceType"] = merged["instanceType"]
    if "subnetId" in merged:
        desired["subnetId"] = merged["subnetId"]
        # A static IP belongs to one subnet: where the group places the server, an address left in the
        # template by hand (or by an earlier override) is removed unless this server has one.
        desired["privateIpAddress"] = merged.get("privateIpAddress")
    elif "privateIpAddress" in merged:
        desired["privateIpAddress"] = merged["privateIpAddress"]
    if "securityGroupIds" in merged:
        desired["securityGroupIds"] = sorted(merged["securityGroupIds"])
    if merged.get("tags"):
        desired["tags"] = dict(merged["tags"])
    return desired


def _primary_interface(data: Mapping[str, Any]) -> dict[str, Any] | None:
    for interface in data.get("NetworkInterfaces") or []:
        if int(interface.get("DeviceIndex") or 0) == 0:
            return dict(interface)
    return None


def _instance_tags(data: Mapping[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for spec in data.get("TagSpecifications") or []:
        if spec.get("ResourceType") == "instance":
            tags.update({str(t["Key"]): str(t["Value"]) for t in spec.get("Tags") or []})
    return tags


def actual_of(config: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Every field as the DRS launch configuration and the template's default version hold it now."""
    interface = _primary_interface(data) or {}
    groups = interface.get("Groups") or data.get("SecurityGroupIds") or []
    return {
        "copyPrivateIp": config.get("copyPrivateIp"),
        "copyTags": config.get("copyTags"),
        "osByol": (config.get("licensing") or {}).get("osByol"),
        "launchDisposition": config.get("launchDisposition"),
        "targetInstanceTypeRightSizingMethod": config.get("targetInstanceTypeRightSizingMethod"),
        "instanceType": data.get("InstanceType"),
        "subnetId": interface.get("SubnetId"),
        "securityGroupIds": sorted(str(g) for g in groups),
        "privateIpAddress": interface.get("PrivateIpAddress"),
        "tags": _instance_tags(data),
    }


def drift(desired: Mapping[str, Any], actual: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each managed field whose actual value differs: {field, desired, actual}; a tag is its own
    field (``tags.<key>``)."""
    found: list[dict[str, Any]] = []
    for field in FIELDS:
        if field not in desired:
            continue
        if field == "tags":
            have = actual.get("tags") or {}
            for key, value in sorted(desired["tags"].items()):
                if have.get(key) != value:
                    found.append({"field": f"tags.{key}", "desired": value, "actual": have.get(key)})
        elif desired[field] != actual.get(field):
            found.append({"field": field, "desired": desired[field], "actual": actual.get(field)})
    return found


def drs_changes(desired: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateLaunchConfiguration parameters that make the DRS fields the desired ones."""
    changes: dict[str, Any] = {}
    for field in DRS_FIELDS:
        if field in desired and desired[field] != actual.get(field):
            if field == "osByol":
                changes["licensing"] = {"osByol": desired[field]}
            else:
                changes[field] = desired[field]
    return changes


def template_data(desired: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The LaunchTemplateData of the new version (the current default's data with the desired template
    fields), or None when the default version already holds them."""
    actual = actual_of({}, data)
    if not any(d["field"].split(".")[0] in TEMPLATE_FIELDS for d in drift(desired, actual)):
        return None
    new = copy.deepcopy(dict(data))
    if "instanceType" in desired:
        new["InstanceType"] = desired["instanceType"]
    if any(f in desired for f in ("subnetId", "securityGroupIds", "privateIpAddress")):
        interfaces = [dict(i) for i in new.get("NetworkInterfaces") or []]
        primary = next((i for i in interfaces if int(i.get("DeviceIndex") or 0) == 0), None)
        if primary is None:
            primary = {"DeviceIndex": 0}
            interfaces.insert(0, primary)
        if "subnetId" in desired:
            primary["SubnetId"] = desired["subnetId"]
        if "securityGroupIds" in desired:
            primary["Groups"] = list(desired["securityGroupIds"])
            # With a network interface the groups live on it; EC2 refuses both at once.
            new.pop("SecurityGroupIds", None)
            new.pop("SecurityGroups", None)
        if "privateIpAddress" in desired:
            if desired["privateIpAddress"]:
                primary["PrivateIpAddress"] = desired["privateIpAddress"]
            else:
                primary.pop("PrivateIpAddress", None)
            primary.pop("PrivateIpAddresses", None)
        new["NetworkInterfaces"] = interfaces
    if desired.get("tags"):
        specs = [dict(s) for s in new.get("TagSpecifications") or [] if s.get("ResourceType") != "instance"]
        tags = {**_instance_tags(data), **desired["tags"]}
        specs.append(
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        )
        new["TagSpecifications"] = specs
    return new


def referenced(settings: Mapping[str, Any]) -> tuple[set[str], set[str], set[str]]:
    """The subnets, security groups and instance types (not RIGHT_SIZING) the settings name."""
    layers = [settings, *((settings.get("serverOverrides") or {}).values())]
    subnets = {str(s["subnetId"]) for s in layers if s.get("subnetId")}
    groups = {str(g) for s in layers for g in s.get("securityGroupIds") or []}
    types = {
        str(s["instanceType"]) for s in layers if s.get("instanceType") and s["instanceType"] != RIGHT_SIZING
    }
    return subnets, groups, types


def _field(source_server_id: str | None, name: str) -> str:
    if source_server_id is None:
        return f"launchSettings.{name}"
    return f"launchSettings.serverOverrides.{source_server_id}.{name}"


def problems(
    settings: Mapping[str, Any],
    member_ids: Iterable[str],
    subnets: Mapping[str, Mapping[str, Any]],
    security_groups: Mapping[str, Mapping[str, Any]],
    offered_types: set[str],
) -> list[Problem]:
    """Everything wrong with the settings, given what EC2 said exists: an override for a server that
    is not a member, a subnet, security group or instance type that does not exist (in this Region),
    security groups in another VPC than the subnet, a static IP outside the subnet (or with
    copyPrivateIp, which would replace it by the source server's address)."""
    found: list[Problem] = []
    members = set(member_ids)
    overrides: Mapping[str, Mapping[str, Any]] = settings.get("serverOverrides") or {}
    for stranger in sorted(set(overrides) - members):
        found.append(Problem(_field(stranger, "sourceServerId"), "is not a server of this group", stranger))
    # The group's own values, then each server as it will be launched (group values with its override).
    layers: list[tuple[str | None, Mapping[str, Any]]] = [(None, settings)]
    layers += [(member, overrides[member]) for member in sorted(overrides) if member in members]
    for sid, layer in layers:
        instance_type = layer.get("instanceType")
        if instance_type and instance_type != RIGHT_SIZING and instance_type not in offered_types:
            found.append(
                Problem(
                    _field(sid, "instanceType"),
                    f"instance type {instance_type} is not offered in this Region",
                    sid,
                )
            )
        subnet_given = layer.get("subnetId")
        if subnet_given and subnet_given not in subnets:
            found.append(Problem(_field(sid, "subnetId"), f"subnet {subnet_given} does not exist", sid))
        for group_id in layer.get("securityGroupIds") or []:
            if group_id not in security_groups:
                found.append(
                    Problem(_field(sid, "securityGroupIds"), f"security group {group_id} does not exist", sid)
                )
        subnet_id = layer.get("subnetId") or settings.get("subnetId")
        subnet = subnets.get(str(subnet_id)) if subnet_id else None
        group_ids = layer.get("securityGroupIds") or (settings.get("securityGroupIds") if sid else None) or []
        if subnet is not None and ("subnetId" in layer or "securityGroupIds" in layer):
            vpc = subnet.get("VpcId")
            other = [g for g in group_ids if g in security_groups and security_groups[g].get("VpcId") != vpc]
            if other:
                found.append(
                    Problem(
                        _field(sid, "securityGroupIds"),
                        f"security group(s) {', '.join(other)} are not in the VPC of subnet {subnet_id} ({vpc})",
                        sid,
                    )
                )
        address = layer.get("privateIpAddress")
        if address and sid is not None:
            if settings.get("copyPrivateIp") is True:
                found.append(
                    Problem(
                        _field(sid, "privateIpAddress"),
                        "a static IP needs copyPrivateIp false (DRS would use the source server's address)",
                        sid,
                    )
                )
            if subnet is None and not subnet_id:
                found.append(Problem(_field(sid, "privateIpAddress"), "a static IP needs a subnetId", sid))
            elif subnet is not None and not _in_subnet(str(address), str(subnet.get("CidrBlock") or "")):
                found.append(
                    Problem(
                        _field(sid, "privateIpAddress"),
                        f"{address} is not in subnet {subnet_id} ({subnet.get('CidrBlock')})",
                        sid,
                    )
                )
    return found


def _in_subnet(address: str, cidr: str) -> bool:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip not in network:
        return False
    # The first four addresses of every subnet and its last one are AWS's.
    offset = int(ip) - int(network.network_address)
    return 4 <= offset <= network.num_addresses - 2
