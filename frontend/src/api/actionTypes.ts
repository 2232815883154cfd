// What each runbook action type means to the console, in one table: its label, its own fields and
// how each is edited, and what its defaults are. The plan editor (pages/ActionsEditor.tsx) and the
// default timeout (status.ts) read it and never name a type; the API's own rules live in the
// registry of action kinds (lambda/shared/orchestrator/actions/).
import type { ActionType } from "./types";

/** One field only actions of a type carry: `text` and `number` are typed as is, `json` as a JSON object. */
export interface ActionFieldSpec {
  name: "functionName" | "payload" | "documentName" | "parameters" | "durationSeconds";
  label: string;
  input: "text" | "number" | "json";
  constraint?: string;
  placeholder?: string;
}

export interface ActionTypeSpec {
  label: string;
  description: string;
  fields: ActionFieldSpec[];
  /** The empty timeout is the plan's pause timeout (an operator's decision waits as long as a pause). */
  timeoutIsPauseTimeout?: boolean;
  /** What the editor says under the fields. */
  note?: string;
}

const DOCUMENT_NAME: ActionFieldSpec = { name: "documentName", label: "Document name", input: "text" };
const PARAMETERS: ActionFieldSpec = {
  name: "parameters",
  label: "Parameters",
  input: "json",
  constraint: "A JSON object of string lists",
  placeholder: '{"commands": ["systemctl start app"]}',
};

export const ACTION_TYPES: Record<ActionType, ActionTypeSpec> = {
  LAMBDA: {
    label: "Lambda function",
    description: "Invoke a function with a JSON payload",
    fields: [
      { name: "functionName", label: "Function name or ARN", input: "text" },
      { name: "payload", label: "Payload", input: "json", constraint: "A JSON object; optional", placeholder: '{"key": "value"}' },
    ],
  },
  SSM_COMMAND: { label: "SSM Run Command", description: "Run a command document", fields: [DOCUMENT_NAME, PARAMETERS] },
  SSM_AUTOMATION: { label: "SSM Automation", description: "Run an automation runbook", fields: [DOCUMENT_NAME, PARAMETERS] },
  WAIT: {
    label: "Wait",
    description: "Wait a fixed time",
    fields: [{ name: "durationSeconds", label: "Duration (seconds)", input: "number", constraint: "60 to 7200" }],
  },
  APPROVAL: {
    label: "Approval",
    description: "Wait until an operator approves",
    fields: [],
    timeoutIsPauseTimeout: true,
    note: "The wave waits here until an operator approves (Approve in the console, or drsctl resume --comment).",
  },
};

/** The fields of a type (none for a type this console does not know). */
export function actionFields(type: string): ActionFieldSpec[] {
  return ACTION_TYPES[type as ActionType]?.fields ?? [];
}

/** Every type's own field names, once each. */
export const ACTION_FIELD_NAMES: string[] = [
  ...new Set(Object.values(ACTION_TYPES).flatMap((spec) => spec.fields.map((f) => f.name))),
];
