"""Plan files are checked with the REST API's own JSON Schemas (extended for plan files): one line
naming the document path and the problem, and nothing applied on an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from drsctl import planfile
from drsctl.planfile import PlanFileError, apply_document, check_document, load_document
from orchestrator.api import schemas

ROOT = Path(__file__).resolve().parents[2]
SERVER = "s-0123456789abcdef0"
WAVE = {"waveName": "DB", "protectionGroupNames": ["Db"]}


def plan(*waves: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"recoveryPlans": [{"name": "P", "waves": list(waves), **extra}]}


def test_the_plan_file_schema_is_the_api_schema_extended() -> None:
    # The plan file reuses the API's schemas: a rule changed there applies here unchanged
    assert planfile.PLAN_FILE_GROUP["properties"] is schemas.PROTECTION_GROUP["properties"]
    wave_properties = planfile.PLAN_FILE_WAVE["properties"]
    assert {k: wave_properties[k] for k in schemas.WAVE["properties"]} == schemas.WAVE["properties"]
    assert wave_properties["protectionGroupNames"]["items"] is schemas.NAME
    plan_properties = planfile.PLAN_FILE_PLAN["properties"]
    assert plan_properties["options"] is schemas.RECOVERY_PLAN["properties"]["options"]
    assert tuple(schemas.PROTECTION_GROUP["properties"]) == planfile.GROUP_FIELDS


def test_the_shipped_example_is_valid() -> None:
    document = load_document(ROOT / "examples" / "three-tier-plan.yaml")
    assert document["recoveryPlans"][0]["name"] == "3TierRecoveryPlan"


def test_a_plan_body_the_api_accepts_is_accepted_in_a_plan_file() -> None:
    body = {
        "name": "P",
        "description": "two\nlines",
        "waves": [{"waveName": "A", "protectionGroupIds": ["g-1"], "pauseBeforeWave": True}],
        "options": {"readinessCheck": "EC2_STATUS_OK", "waveTimeoutMinutes": 30},
    }
    schemas.validator("RecoveryPlan")(body)
    check_document({"recoveryPlans": [body]})


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "the file must hold a mapping with protectionGroups and/or recoveryPlans"),
        ({}, "the file declares no protectionGroups and no recoveryPlans"),
        ({"protectionGroups": [], "recoveryPlans": []}, "the file declares no protectionGroups"),
        ({"groups": []}, "groups: unknown field (allowed: protectionGroups, recoveryPlans)"),
        (
            plan({"waveName": "w"}),
            "recoveryPlans[0].waves[0]: needs exactly one of protectionGroupNames and protectionGroupIds",
        ),
        (
            plan({**WAVE, "protectionGroupIds": ["g-1"]}),
            "recoveryPlans[0].waves[0]: needs exactly one of protectionGroupNames and protectionGroupIds",
        ),
        (plan(WAVE, {"protectionGroupNames": ["Db"]}), "recoveryPlans[0].waves[1].waveName: is required"),
        (plan(), "recoveryPlans[0].waves: [] should be non-empty"),
        (plan({**WAVE, "waveName": " DB"}), "recoveryPlans[0].waves[0].waveName: must not start or end"),
        (
            plan({**WAVE, "protectionGroupNames": "Db"}),
            "recoveryPlans[0].waves[0].protectionGroupNames: 'Db' is not of type 'array'",
        ),
        (plan({**WAVE, "pause": True}), "recoveryPlans[0].waves[0].pause: unknown field"),
        (
            plan(WAVE, options={"waveTimeoutMinutes": 0}),
            "recoveryPlans[0].options.waveTimeoutMinutes: 0 is less than the minimum of 1",
        ),
        (
            {"protectionGroups": [{"name": "g"}]},
            "protectionGroups[0]: needs exactly one of sourceServerIds and serverSelectionTags",
        ),
        (
            {"protectionGroups": [{"name": "g", "sourceServerIds": ["s-1"]}]},
            "protectionGroups[0].sourceServerIds[0]: 's-1' does not match",
        ),
        ({"protectionGroups": [{"sourceServerIds": [SERVER]}]}, "protectionGroups[0].name: is required"),
        (
            {
                "protectionGroups": [
                    {"name": "g", "sourceServerIds": [SERVER]},
                    {"name": "G", "sourceServerIds": [SERVER]},
                ]
            },
            "protectionGroups[1].name: 'G' is declared twice",
        ),
    ],
)
def test_a_bad_document_is_refused_with_the_path_and_the_problem(document: Any, expected: str) -> None:
    with pytest.raises(PlanFileError) as caught:
        check_document(document)
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_load_document_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(plan({"waveName": "w"})))
    with pytest.raises(PlanFileError, match=r"bad\.yaml: recoveryPlans\[0\]\.waves\[0\]: needs exactly one"):
        load_document(path)


class RecordingClient:
    """The API as apply_document sees it, with no group or plan yet; records every write."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, dict[str, Any]]] = []

    def groups(self) -> list[dict[str, Any]]:
        return []

    def plans(self) -> list[dict[str, Any]]:
        return []

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.writes.append((path, body))
        key = "groupId" if "groups" in path else "planId"
        return {**body, key: f"id-{len(self.writes)}"}

    put = post


def test_an_unknown_group_name_is_refused_before_anything_is_written() -> None:
    client = RecordingClient()
    document = {
        "protectionGroups": [{"name": "Db", "sourceServerIds": [SERVER]}],
        "recoveryPlans": [
            {"name": "P", "waves": [WAVE, {"waveName": "Web", "protectionGroupNames": ["Web"]}]}
        ],
    }
    with pytest.raises(
        PlanFileError, match=r"recoveryPlans\[0\]\.waves\[1\]\.protectionGroupNames: no protection"
    ):
        apply_document(client, document)  # type: ignore[arg-type]
    assert client.writes == []


def test_names_are_resolved_to_ids_on_apply() -> None:
    client = RecordingClient()
    document = {
        "protectionGroups": [{"name": "Db", "sourceServerIds": [SERVER]}],
        "recoveryPlans": [{"name": "P", "waves": [{**WAVE, "protectionGroupNames": ["DB"]}]}],
    }
    results = apply_document(client, document)  # type: ignore[arg-type]
    assert [r.action for r in results] == ["created", "created"]
    assert client.writes[1] == (
        "/recovery-plans",
        {
            "name": "P",
            "waves": [{"waveName": "DB", "protectionGroupIds": ["id-1"], "pauseBeforeWave": False}],
        },
    )
