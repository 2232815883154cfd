// The console's table of action types (src/api/actionTypes.ts) against the API's published schema
// (docs/openapi.json, built from the registry of action kinds): the same types, the same fields.
import { describe, expect, it } from "vitest";
import { ACTION_FIELD_NAMES, ACTION_TYPES, actionFields } from "../src/api/actionTypes";
import { fromDraft, isActionField, toDraft } from "../src/pages/ActionsEditor";
import { defaultActionTimeoutSeconds } from "../src/status";
import openapi from "../../docs/openapi.json";

const action = openapi.components.schemas.RecoveryPlan.properties.waves.items.properties.preActions.items;
const COMMON = ["name", "type", "timeoutSeconds", "maxAttempts", "onFailure"];

describe("the table of action types", () => {
  it("lists exactly the types the API accepts, in its order", () => {
    // Given the published action schema; when the table's types are read; then they are its enum.
    expect(Object.keys(ACTION_TYPES)).toEqual(action.properties.type.enum);
  });

  it("edits exactly the fields the API's action carries besides the common ones", () => {
    // Given the published action schema; then every type's own field is one of its properties, and
    // together they are all of them but the common ones.
    expect(ACTION_FIELD_NAMES).toEqual(Object.keys(action.properties).filter((f) => !COMMON.includes(f)));
  });

  it("sends only the fields of the chosen type, each as its input says", () => {
    // Given a draft with every field typed; when it is turned into a WAIT and a LAMBDA action; then
    // each carries its own fields only (a number as a number, JSON parsed) and the rest is dropped.
    const draft = {
      ...toDraft(),
      name: "step",
      functionName: "drs-actions-x",
      payload: '{"app": "shop"}',
      documentName: "AWS-RunShellScript",
      parameters: '{"commands": ["true"]}',
      durationSeconds: "120",
    };
    expect(fromDraft({ ...draft, type: "WAIT" })).toEqual({
      action: { name: "step", type: "WAIT", durationSeconds: 120 },
      errors: {},
    });
    expect(fromDraft({ ...draft, type: "LAMBDA" }).action).toEqual({
      name: "step",
      type: "LAMBDA",
      functionName: "drs-actions-x",
      payload: { app: "shop" },
    });
    expect(isActionField("parameters", "SSM_AUTOMATION")).toBe(true);
    expect(isActionField("parameters", "APPROVAL")).toBe(false);
    expect(actionFields("NOT_A_TYPE")).toEqual([]);
  });

  it("gives an approval the plan's pause timeout and any other type 900 s", () => {
    // Given a plan whose pause timeout is 30 minutes; then an APPROVAL waits 1800 s, a WAIT 900 s.
    expect(defaultActionTimeoutSeconds("APPROVAL", 30)).toBe(1800);
    expect(defaultActionTimeoutSeconds("WAIT", 30)).toBe(900);
  });
});
