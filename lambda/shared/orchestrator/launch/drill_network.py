"""A plan's drill network as pure functions (no AWS calls):

- ``problems``: the ``drillNetwork`` option checked against what EC2 said exists (every subnet and
  security group, all in one VPC), each problem naming its field;
- ``subnet_for``: the drill subnet a server launches into: the one in the Availability Zone of the
  server's production subnet when the drill network has one there, else the first;
- ``drill_data``: the LaunchTemplateData of a server's drill version: its production data with the
  drill subnet and security groups on the primary interface and no private IP (a drill never takes a
  production address).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.launch import settings as launch

FIELD = "options.drillNetwork"


def problems(
    network: Mapping[str, Any],
    subnets: Mapping[str, Mapping[str, Any]],
    security_groups: Mapping[str, Mapping[str, Any]],
) -> list[tuple[str, str]]:
    """(field, message) for each subnet or security group that does not exist, and for a drill
    network spread over more than one VPC."""
    found: list[tuple[str, str]] = []
    for subnet_id in network.get("subnetIds") or []:
        if subnet_id not in subnets:
            found.append((f"{FIELD}.subnetIds", f"subnet {subnet_id} does not exist"))
    for group_id in network.get("securityGroupIds") or []:
        if group_id not in security_groups:
            found.append((f"{FIELD}.securityGroupIds", f"security group {group_id} does not exist"))
    if found:
        return found
    vpcs = {str(subnets[s].get("VpcId")) for s in network["subnetIds"]}
    if len(vpcs) > 1:
        found.append(
            (f"{FIELD}.subnetIds", f"the subnets are in more than one VPC ({', '.join(sorted(vpcs))})")
        )
        return found
    vpc = next(iter(vpcs))
    other = [g for g in network["securityGroupIds"] if security_groups[g].get("VpcId") != vpc]
    if other:
        found.append(
            (
                f"{FIELD}.securityGroupIds",
                f"security group(s) {', '.join(other)} are not in the drill network's VPC ({vpc})",
            )
        )
    return found


def production_subnet(data: Mapping[str, Any]) -> str | None:
    """The subnet a launch template version places the server in (its primary interface's)."""
    subnet = launch.actual_of({}, data).get("subnetId")
    return str(subnet) if subnet else None


def subnet_for(subnet_ids: Sequence[str], subnets: Mapping[str, Mapping[str, Any]], zone: str | None) -> str:
    """The drill subnet in ``zone`` (the server's production Availability Zone), else the first."""
    if zone:
        for subnet_id in subnet_ids:
            if (subnets.get(subnet_id) or {}).get("AvailabilityZone") == zone:
                return subnet_id
    return subnet_ids[0]


def drill_data(
    production: Mapping[str, Any], subnet_id: str, security_group_ids: Sequence[str]
) -> dict[str, Any]:
    """The production version's data with the drill subnet and groups, and no private IP."""
    desired = {
        "subnetId": subnet_id,
        "securityGroupIds": sorted(str(g) for g in security_group_ids),
        "privateIpAddress": None,
    }
    data = launch.template_data(desired, production)
    return data if data is not None else copy.deepcopy(dict(production))


def is_drill_data(data: Mapping[str, Any], subnet_ids: Sequence[str]) -> bool:
    """Whether a launch template version places the server in one of the drill subnets."""
    return production_subnet(data) in set(subnet_ids)
