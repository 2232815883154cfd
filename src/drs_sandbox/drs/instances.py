"""Recovery instances and the EC2 (moto) instances behind them."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from drs_sandbox.drs.servers import SourceServer
from drs_sandbox.drs.wire import iso

logger = logging.getLogger(__name__)

MANAGED_TAG = "AWSElasticDisasterRecoveryManaged"
MANAGED_VALUE = "drs.amazonaws.com"
SOURCE_SERVER_TAG = "AWSElasticDisasterRecoverySourceServerID"
# Amazon Linux 2 images exist in moto's default image set and in every real Region; filtering by
# name keeps the lookup fast (describing all of moto's ~1,300 Amazon images takes over a second).
IMAGE_NAME_FILTER = "amzn2-ami-hvm-*-x86_64-gp2"


@dataclass
class RecoveryInstance:
    """A DRS recovery instance. As in DRS, its id is the id of the EC2 instance behind it."""

    recovery_instance_id: str
    source_server_id: str
    job_id: str
    is_drill: bool
    tags: dict[str, str]
    seq: int
    arn: str
    launched_at: float
    running_at: float
    point_in_time: float
    terminating: bool = False
    checks_at: float = 0.0  # real time the EC2 status checks settle (after running_at)
    status_checks: str = "OK"  # OK | IMPAIRED: what they settle to

    def ec2_state(self, now: float) -> str:
        """The EC2 state as DRS reports it. The sandbox's EC2 follows the same timeline
        (drs_sandbox.ec2_boot: pending until running_at, then running), so the two agree."""
        if self.terminating:
            return "SHUTTING-DOWN"
        return "RUNNING" if now >= self.running_at else "PENDING"

    def to_wire(self, now: float, server: SourceServer | None) -> dict[str, Any]:
        properties: dict[str, Any] = {"lastUpdatedDateTime": iso(self.launched_at)}
        if server is not None:
            properties.update(
                identificationHints={
                    "hostname": server.spec.hostname,
                    "fqdn": server.spec.fqdn,
                    "awsInstanceID": self.recovery_instance_id,
                },
                networkInterfaces=server.network_interfaces(),
                cpus=server.cpus(),
                ramBytes=server.ram_bytes,
                os={"fullString": server.spec.os},
            )
        return {
            "recoveryInstanceID": self.recovery_instance_id,
            "ec2InstanceID": self.recovery_instance_id,
            "ec2InstanceState": self.ec2_state(now),
            "jobID": self.job_id,
            "sourceServerID": self.source_server_id,
            "arn": self.arn,
            "tags": dict(self.tags),
            "isDrill": self.is_drill,
            "pointInTimeSnapshotDateTime": iso(self.point_in_time),
            "recoveryInstanceProperties": properties,
            "originEnvironment": "ON_PREMISES",
            "failback": {"state": "FAILBACK_NOT_STARTED"},
        }


class Ec2Launcher:
    """Creates and terminates the EC2 instances behind recovery instances, through an EC2 client."""

    def __init__(self, client: Any, image_id: str | None = None) -> None:
        self._client = client
        self._image_id = image_id
        self._templates: dict[str, str] = {}

    def image_id(self) -> str:
        if self._image_id is None:
            images = self._client.describe_images(
                Owners=["amazon"],
                Filters=[
                    {"Name": "name", "Values": [IMAGE_NAME_FILTER]},
                    {"Name": "state", "Values": ["available"]},
                ],
            ).get("Images", [])
            if not images:
                images = self._client.describe_images(Owners=["amazon"]).get("Images", [])
            if not images:
                raise RuntimeError("no EC2 image found to launch recovery instances from")
            newest = max(images, key=lambda image: (image.get("CreationDate", ""), image["ImageId"]))
            self._image_id = str(newest["ImageId"])
            logger.info("recovery instance image chosen", extra={"imageId": self._image_id})
        return self._image_id

    def launch(
        self, instance_type: str, tags: dict[str, str], placement: dict[str, Any] | None = None
    ) -> str:
        """Run one instance with these tags, where ``placement`` says (SubnetId, SecurityGroupIds,
        PrivateIpAddress: RunInstances parameters); returns its instance id. A private IP outside
        the subnet fails as EC2 fails it."""
        where = dict(placement or {})
        address, subnet_id = where.get("PrivateIpAddress"), where.get("SubnetId")
        if address and subnet_id:
            subnets = self._client.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])
            cidr = (subnets.get("Subnets") or [{}])[0].get("CidrBlock")
            if cidr and ipaddress.ip_address(address) not in ipaddress.ip_network(cidr):
                raise RuntimeError(
                    f"InvalidParameterValue: address {address} does not fall within the subnet's address range"
                )
        response = self._client.run_instances(
            ImageId=self.image_id(),
            InstanceType=instance_type,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ],
            **where,
        )
        return str(response["Instances"][0]["InstanceId"])

    def _default_network(self) -> dict[str, Any]:
        """The default VPC's first subnet and its default security group (asked each time: the
        sandbox's EC2 may have been reset since)."""
        subnets = self._client.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}]).get(
            "Subnets", []
        )
        groups = self._client.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["default"]}]
        ).get("SecurityGroups", [])
        network: dict[str, Any] = {}
        if subnets:
            first = sorted(subnets, key=lambda s: s["SubnetId"])[0]
            network["SubnetId"] = first["SubnetId"]
            groups = [g for g in groups if g.get("VpcId") in (None, first.get("VpcId"))] or groups
        if groups:
            network["Groups"] = [groups[0]["GroupId"]]
        return network

    def launch_template(self, source_server_id: str, instance_type: str) -> str:
        """The id of the EC2 launch template DRS keeps for a source server (created at first use)."""
        return self.launch_templates([(source_server_id, instance_type)])[source_server_id]

    def launch_templates(self, servers: list[tuple[str, str]]) -> dict[str, str]:
        """Source server id -> the id of the EC2 launch template DRS keeps for it, each created if
        missing as DRS does when a server is added (with DRS's tags): the default VPC's first subnet
        and its default group (looked up once for all), the server's instance type."""
        found: dict[str, str] = {}
        network: dict[str, Any] | None = None
        for source_server_id, instance_type in servers:
            known = self._templates.get(source_server_id)
            if known is not None:
                found[source_server_id] = known
                continue
            name = f"drs-launch-template-{source_server_id}"
            existing = self._client.describe_launch_templates(
                Filters=[{"Name": "launch-template-name", "Values": [name]}]
            ).get("LaunchTemplates", [])
            if existing:
                found[source_server_id] = str(existing[0]["LaunchTemplateId"])
            else:
                if network is None:
                    network = self._default_network()
                interface: dict[str, Any] = {"DeviceIndex": 0, **network}
                created = self._client.create_launch_template(
                    LaunchTemplateName=name,
                    LaunchTemplateData={"InstanceType": instance_type, "NetworkInterfaces": [interface]},
                    TagSpecifications=[
                        {
                            "ResourceType": "launch-template",
                            "Tags": [
                                {"Key": MANAGED_TAG, "Value": MANAGED_VALUE},
                                {"Key": SOURCE_SERVER_TAG, "Value": source_server_id},
                            ],
                        }
                    ],
                )
                found[source_server_id] = str(created["LaunchTemplate"]["LaunchTemplateId"])
            self._templates[source_server_id] = found[source_server_id]
        return found

    def default_template_data(self, template_id: str) -> dict[str, Any]:
        """The LaunchTemplateData of the template's current default version."""
        versions = self._client.describe_launch_template_versions(
            LaunchTemplateId=template_id, Versions=["$Default"]
        ).get("LaunchTemplateVersions", [])
        return dict(versions[0].get("LaunchTemplateData") or {}) if versions else {}

    def terminate(self, instance_ids: list[str]) -> None:
        for start in range(0, len(instance_ids), 1000):
            self._client.terminate_instances(InstanceIds=instance_ids[start : start + 1000])
