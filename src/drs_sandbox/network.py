"""A scenario's networks: VPCs with their subnets and security groups, made in the sandbox's EC2 (moto)
when the sandbox starts, so that protection groups can place their servers in them (launchSettings).

```yaml
networks:
  - name: production                      # the VPC's Name tag
    cidrBlock: 10.10.0.0/16
    subnets:
      - {name: prod-db-a, cidrBlock: 10.10.1.0/24, availabilityZone: us-east-1a}
    securityGroups:
      - {name: prod-db, description: databases}
```

EC2 gives the ids, so a scenario's protection groups name them by placeholder: the string
``{subnet:prod-db-a}`` or ``{securityGroup:prod-db}`` anywhere in a group becomes that id.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

Fail = Callable[[str, str], Exception]
PLACEHOLDER = re.compile(r"^\{(subnet|securityGroup):([^{}]+)\}$")


def _cidr(value: Any, where: str, fail: Fail) -> str:
    try:
        return str(ipaddress.ip_network(str(value)))
    except ValueError as exc:
        raise fail(f"{where}.cidrBlock", f"not a CIDR block: {value!r}") from exc


def parse_networks(raw: Any, fail: Fail) -> list[dict[str, Any]]:
    """The networks of a scenario, checked (names unique, CIDR blocks valid, subnets inside their VPC)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise fail("networks", "must be a list of VPCs")
    names: set[str] = set()
    out: list[dict[str, Any]] = []
    for index, vpc in enumerate(raw):
        where = f"networks[{index}]"
        if not isinstance(vpc, dict) or not isinstance(vpc.get("name"), str):
            raise fail(where, "must be a mapping with a name")
        block = ipaddress.ip_network(_cidr(vpc.get("cidrBlock"), where, fail))
        subnets, groups = [], []
        for s, subnet in enumerate(vpc.get("subnets") or []):
            at = f"{where}.subnets[{s}]"
            if not isinstance(subnet, dict) or not isinstance(subnet.get("name"), str):
                raise fail(at, "must be a mapping with a name")
            cidr = _cidr(subnet.get("cidrBlock"), at, fail)
            if not ipaddress.ip_network(cidr).subnet_of(block):  # type: ignore[arg-type]
                raise fail(f"{at}.cidrBlock", f"{cidr} is not inside the VPC's {block}")
            subnets.append(
                {
                    "name": subnet["name"],
                    "cidrBlock": cidr,
                    "availabilityZone": subnet.get("availabilityZone"),
                }
            )
        for g, group in enumerate(vpc.get("securityGroups") or []):
            at = f"{where}.securityGroups[{g}]"
            if not isinstance(group, dict) or not isinstance(group.get("name"), str):
                raise fail(at, "must be a mapping with a name")
            groups.append(
                {"name": group["name"], "description": str(group.get("description") or group["name"])}
            )
        for name in [vpc["name"], *(s["name"] for s in subnets), *(g["name"] for g in groups)]:
            if name in names:
                raise fail(where, f"the name {name!r} is used twice")
            names.add(name)
        out.append(
            {"name": vpc["name"], "cidrBlock": str(block), "subnets": subnets, "securityGroups": groups}
        )
    return out


def create_networks(ec2: Any, networks: list[dict[str, Any]]) -> dict[str, str]:
    """Make the VPCs, subnets and security groups; ``{subnet:NAME}`` / ``{securityGroup:NAME}`` -> id."""
    ids: dict[str, str] = {}

    def named(kind: str, name: str) -> list[dict[str, Any]]:
        return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]

    for vpc in networks:
        vpc_id = ec2.create_vpc(CidrBlock=vpc["cidrBlock"], TagSpecifications=named("vpc", vpc["name"]))[
            "Vpc"
        ]["VpcId"]
        ids[f"{{vpc:{vpc['name']}}}"] = vpc_id
        for subnet in vpc["subnets"]:
            extra = {"AvailabilityZone": subnet["availabilityZone"]} if subnet.get("availabilityZone") else {}
            made = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=subnet["cidrBlock"],
                TagSpecifications=named("subnet", subnet["name"]),
                **extra,
            )
            ids[f"{{subnet:{subnet['name']}}}"] = made["Subnet"]["SubnetId"]
        for group in vpc["securityGroups"]:
            made = ec2.create_security_group(
                GroupName=group["name"],
                Description=group["description"],
                VpcId=vpc_id,
                TagSpecifications=named("security-group", group["name"]),
            )
            ids[f"{{securityGroup:{group['name']}}}"] = made["GroupId"]
    return ids


def resolve(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every network placeholder replaced by its id (KeyError naming an unknown one)."""
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    if isinstance(value, str) and PLACEHOLDER.match(value):
        if value not in ids:
            raise KeyError(f"{value} names no subnet or security group of the scenario's networks")
        return ids[value]
    return value
