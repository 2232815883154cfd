"""EC2 adapter: instance details of recovery instances, by id lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.aws.drs import chunks
from orchestrator.aws.errors import translate

MAX_IDS = 200


class Ec2:
    def __init__(self, client: EC2Client):
        self.client = client

    def instances(self, instance_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Instance id -> {ec2State, privateIp, privateDnsName, instanceType, launchTime}."""
        details: dict[str, dict[str, Any]] = {}
        for chunk in chunks(sorted(set(instance_ids)), MAX_IDS):
            # Filtering by instance-id (not InstanceIds) tolerates ids EC2 no longer knows.
            kwargs: dict[str, Any] = {
                "Filters": [{"Name": "instance-id", "Values": chunk}],
                "MaxResults": 1000,
            }
            while True:
                try:
                    page = self.client.describe_instances(**kwargs)
                except (ClientError, BotoCoreError) as e:
                    raise translate(e, "EC2", "DescribeInstances") from e
                for reservation in page.get("Reservations", []):
                    for instance in reservation.get("Instances", []):
                        launch = instance.get("LaunchTime")
                        details[instance["InstanceId"]] = {
                            "ec2State": instance.get("State", {}).get("Name"),
                            "privateIp": instance.get("PrivateIpAddress"),
                            "privateDnsName": instance.get("PrivateDnsName") or None,
                            "instanceType": instance.get("InstanceType"),
                            "launchTime": launch.isoformat() if isinstance(launch, datetime) else launch,
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
            try:
                page = self.client.describe_instance_status(InstanceIds=chunk, IncludeAllInstances=True)
            except (ClientError, BotoCoreError) as e:
                raise translate(e, "EC2", "DescribeInstanceStatus") from e
            for status in page.get("InstanceStatuses", []):
                result[status["InstanceId"]] = (
                    status.get("InstanceStatus", {}).get("Status") == "ok"
                    and status.get("SystemStatus", {}).get("Status") == "ok"
                )
        return result
