"""A protection group's launch settings applied to its servers, and read back with their drift.

- ``validate``: before a group is stored, its ``launchSettings`` are checked against EC2 (one
  DescribeSubnets, one DescribeSecurityGroups and one DescribeInstanceTypeOfferings per 200 ids) and
  its members (DescribeSourceServers): 422 naming the server and field, nothing stored or changed.
- ``apply_group``: each member server in turn (DRS's API rate: one server's calls at a time, boto3's
  adaptive retries absorb throttling): GetLaunchConfiguration, UpdateLaunchConfiguration when a DRS
  field differs, and when a template field differs a new launch template version (from the default
  one) made the default. A server already as desired costs two reads and no write, so applying
  again only repairs what differs. One server's failure does not stop the others: the outcome says
  which servers were changed, which were already as desired and which failed (and whether retrying
  may help: a transient error). Nothing is left half-recorded: the desired state is the stored
  group, the actual state is read from DRS and EC2 every time.
- ``launch_settings``: per server the desired and actual fields and the drift.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from orchestrator.aws.launch import LaunchPort
from orchestrator.deps import Deps
from orchestrator.exceptions import DependencyError, OrchestratorError, TransientError, ValidationFailedError
from orchestrator.launch import settings as launch

logger = logging.getLogger(__name__)

VERSION_DESCRIPTION = "drs-orchestrator: launch settings of protection group {}"


def _port(deps: Deps) -> LaunchPort:
    if deps.launch is None:
        raise DependencyError(
            "launch settings need the DRS and EC2 launch adapters", code="LAUNCH_NOT_CONFIGURED"
        )
    return deps.launch


def _members(deps: Deps, group: Mapping[str, Any]) -> tuple[list[str], dict[str, str | None]]:
    """The ids of the group's servers DRS knows (in the group's order) and their host names."""
    # Imported here: create imports catalog, which imports this module to validate and apply a group.
    from orchestrator.operations.create import drs_hostname, group_members

    drs_servers = deps.drs.all_source_servers()
    by_id = {str(s["sourceServerID"]): s for s in drs_servers}
    members, _missing = group_members(group, by_id, drs_servers)
    ids: list[str] = []
    names: dict[str, str | None] = {}
    for server in members:
        sid = str(server["sourceServerID"])
        if sid not in names:
            ids.append(sid)
            names[sid] = drs_hostname(server)
    return ids, names


def validate(deps: Deps, group: Mapping[str, Any]) -> None:
    """422 LAUNCH_SETTINGS_INVALID naming the first problem's server and field (every problem in
    ``details.problems``) when the group's launch settings cannot be applied."""
    settings = group.get("launchSettings")
    if not settings:
        return
    port = _port(deps)
    member_ids, _ = _members(deps, group)
    subnet_ids, group_ids, types = launch.referenced(settings)
    subnets = port.subnets(sorted(subnet_ids)) if subnet_ids else {}
    groups = port.security_groups(sorted(group_ids)) if group_ids else {}
    offered = port.offered_instance_types(sorted(types)) if types else set()
    found = launch.problems(settings, member_ids, subnets, groups, offered)
    if found:
        first = found[0]
        raise ValidationFailedError(
            f"invalid launch settings: {first.text()}"
            + (f" (and {len(found) - 1} more problem(s))" if len(found) > 1 else ""),
            code="LAUNCH_SETTINGS_INVALID",
            details={
                "field": first.field,
                "sourceServerId": first.source_server_id,
                "problems": [
                    {"field": p.field, "sourceServerId": p.source_server_id, "message": p.message}
                    for p in found
                ],
            },
        )


def _apply_server(port: LaunchPort, group_id: str, sid: str, desired: Mapping[str, Any]) -> list[str]:
    """Make one server's launch settings the desired ones; the names of what was changed."""
    config = port.launch_configuration(sid)
    template_id = str(config.get("ec2LaunchTemplateID") or "")
    version = port.default_version(template_id) if template_id else None
    actual = launch.actual_of(config, version.data if version else {})
    changed: list[str] = []
    changes = launch.drs_changes(desired, actual)
    if changes:
        port.update_launch_configuration(sid, changes)
        changed.append("launchConfiguration")
    if version is not None:
        data = launch.template_data(desired, version.data)
        if data is not None:
            made = port.new_default_version(
                template_id, version.number, data, VERSION_DESCRIPTION.format(group_id)
            )
            changed.append(f"launchTemplateVersion:{made.number}")
    elif any(f in desired for f in launch.TEMPLATE_FIELDS):
        raise DependencyError(
            f"DRS names no EC2 launch template for source server {sid}", code="NO_LAUNCH_TEMPLATE"
        )
    return changed


def apply_group(deps: Deps, group: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the group's launch settings to every member server; the outcome per server."""
    settings = group.get("launchSettings") or {}
    group_id = str(group["groupId"])
    port = _port(deps)
    applied: list[dict[str, Any]] = []
    unchanged: list[str] = []
    failed: list[dict[str, Any]] = []
    try:
        member_ids, _ = _members(deps, group)
    except OrchestratorError as e:
        # The group is stored (its settings are the desired state): say that nothing was applied.
        logger.warning("launch settings not applied", extra={"groupId": group_id, "error": e.message})
        return {
            "appliedAt": deps.clock.iso(),
            "servers": 0,
            "applied": applied,
            "unchanged": unchanged,
            "failed": failed,
            "error": _error(e),
        }
    for sid in member_ids:
        desired = launch.desired_for(settings, sid)
        if not desired:
            unchanged.append(sid)
            continue
        try:
            changed = _apply_server(port, group_id, sid, desired)
        except OrchestratorError as e:
            logger.warning(
                "launch settings not applied",
                extra={"groupId": group_id, "sourceServerId": sid, "error": e.message},
            )
            failed.append({"sourceServerId": sid, **_error(e)})
            continue
        if changed:
            applied.append({"sourceServerId": sid, "changed": changed})
        else:
            unchanged.append(sid)
    logger.info(
        "launch settings applied",
        extra={
            "groupId": group_id,
            "applied": len(applied),
            "unchanged": len(unchanged),
            "failed": len(failed),
        },
    )
    return {
        "appliedAt": deps.clock.iso(),
        "servers": len(member_ids),
        "applied": applied,
        "unchanged": unchanged,
        "failed": failed,
        "error": None,
    }


def _error(e: OrchestratorError) -> dict[str, Any]:
    return {"code": e.code, "message": e.message, "retryable": isinstance(e, TransientError)}


def reapply(deps: Deps, group_id: str) -> dict[str, Any]:
    """POST .../launch-settings/apply: the stored settings validated again (a subnet may have gone)
    and applied."""
    group = deps.stores.groups.get(group_id)
    validate(deps, group)
    return {"groupId": group_id, **apply_group(deps, group)}


def launch_settings(deps: Deps, group_id: str) -> dict[str, Any]:
    """Per member server: the desired fields, the actual ones (DRS and the template's default
    version), the drift; a server that cannot be read says why (``error``) instead."""
    group = deps.stores.groups.get(group_id)
    settings = group.get("launchSettings") or {}
    port = _port(deps)
    member_ids, names = _members(deps, group)
    items: list[dict[str, Any]] = []
    for sid in member_ids:
        desired = launch.desired_for(settings, sid)
        item: dict[str, Any] = {
            "sourceServerId": sid,
            "hostname": names.get(sid),
            "launchTemplateId": None,
            "defaultVersion": None,
            "desired": desired,
            "actual": None,
            "drift": [],
            "error": None,
        }
        try:
            config = port.launch_configuration(sid)
            template_id = str(config.get("ec2LaunchTemplateID") or "") or None
            version = port.default_version(template_id) if template_id else None
        except OrchestratorError as e:
            item["error"] = {"code": e.code, "message": e.message}
            items.append(item)
            continue
        actual = launch.actual_of(config, version.data if version else {})
        item.update(
            launchTemplateId=template_id,
            defaultVersion=version.number if version else None,
            actual=actual,
            drift=launch.drift(desired, actual),
        )
        items.append(item)
    return {
        "groupId": group_id,
        "managed": bool(settings),
        "driftedServers": sum(1 for i in items if i["drift"]),
        "unreadableServers": sum(1 for i in items if i["error"]),
        "items": items,
    }
