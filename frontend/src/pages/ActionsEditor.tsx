// A wave's runbook in the plan editor: its pre-actions (before the wave launches) and post-actions
// (after its servers are ready), each edited as typed and turned into the API's action on save.
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Textarea from "@cloudscape-design/components/textarea";
import { Fragment } from "react";
import { ACTION_FIELD_NAMES, ACTION_TYPES, type ActionFieldSpec, actionFields } from "../api/actionTypes";
import type { ActionType, OnFailure, PlanAction } from "../api/types";
import { defaultActionTimeoutSeconds, formatLimit } from "../status";

export type Stage = "preActions" | "postActions";

/** An action as the editor holds it: numbers and JSON as typed; `base` keeps what the editor does not show. */
export interface ActionDraft {
  key: number;
  base: Record<string, unknown>;
  name: string;
  type: ActionType;
  timeoutSeconds: string;
  maxAttempts: string;
  onFailure: OnFailure | "";
  functionName: string;
  payload: string;
  documentName: string;
  parameters: string;
  durationSeconds: string;
}

const TYPES: { value: ActionType; label: string; description: string }[] = Object.entries(ACTION_TYPES).map(
  ([value, spec]) => ({ value: value as ActionType, label: spec.label, description: spec.description }),
);
const ON_FAILURE = [
  { value: "FAIL", label: "Fail the wave" },
  { value: "CONTINUE", label: "Continue with a warning" },
];
// The fields of each type are ACTION_TYPES' (api/actionTypes.ts); a field of another type is never sent.
const COMMON_FIELDS = ["name", "type", "timeoutSeconds", "maxAttempts", "onFailure"];
const EDITED = [...COMMON_FIELDS, ...ACTION_FIELD_NAMES];

let lastKey = 0;

const numberText = (value: unknown) => (typeof value === "number" ? String(value) : "");
const jsonText = (value: unknown) => (value === undefined ? "" : JSON.stringify(value, null, 2));

export function toDraft(action: Partial<PlanAction> = {}): ActionDraft {
  return {
    key: ++lastKey,
    base: { ...action },
    name: action.name ?? "",
    type: action.type ?? "LAMBDA",
    timeoutSeconds: numberText(action.timeoutSeconds),
    maxAttempts: numberText(action.maxAttempts),
    onFailure: action.onFailure ?? "",
    functionName: action.functionName ?? "",
    payload: jsonText(action.payload),
    documentName: action.documentName ?? "",
    parameters: jsonText(action.parameters),
    durationSeconds: numberText(action.durationSeconds),
  };
}

/** Whether the API may name `field` (relative to the action) for an action of this type. */
export function isActionField(field: string, type: ActionType): boolean {
  return COMMON_FIELDS.includes(field) || actionFields(type).some((f) => f.name === field);
}

function parseObject(text: string): { value?: Record<string, unknown>; error?: string } {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return { value: value as Record<string, unknown> };
    return { error: "must be a JSON object, e.g. {\"key\": \"value\"}" };
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` };
  }
}

/**
 * The API's action from a draft, or the errors of its fields (relative names: "payload"). Numbers
 * are sent as typed (the API says what is out of range, on the field); an empty field is left out.
 */
export function fromDraft(draft: ActionDraft): { action: PlanAction; errors: Record<string, string> } {
  const action: Record<string, unknown> = Object.fromEntries(
    Object.entries(draft.base).filter(([key]) => !EDITED.includes(key)),
  );
  const errors: Record<string, string> = {};
  action.name = draft.name;
  action.type = draft.type;
  if (draft.timeoutSeconds) action.timeoutSeconds = Number(draft.timeoutSeconds);
  if (draft.maxAttempts) action.maxAttempts = Number(draft.maxAttempts);
  if (draft.onFailure) action.onFailure = draft.onFailure;
  for (const { name: field, input } of actionFields(draft.type)) {
    const text = draft[field];
    if (!text.trim()) continue;
    if (input === "json") {
      const parsed = parseObject(text);
      if (parsed.error) errors[field] = parsed.error;
      else action[field] = parsed.value;
    } else {
      action[field] = input === "number" ? Number(text) : text;
    }
  }
  return { action: action as unknown as PlanAction, errors };
}

function ActionEditor({
  draft,
  title,
  testId,
  err,
  onChange,
  controls,
  pauseTimeoutMinutes,
}: {
  pauseTimeoutMinutes?: number | null;
  draft: ActionDraft;
  title: string;
  testId: string;
  err: (field: string) => string | undefined;
  onChange: (change: Partial<ActionDraft>) => void;
  controls: React.ReactNode;
}) {
  const defaultTimeout = defaultActionTimeoutSeconds(draft.type, pauseTimeoutMinutes);
  const spec = ACTION_TYPES[draft.type] as (typeof ACTION_TYPES)[ActionType] | undefined;
  const text = (field: keyof ActionDraft, label: string, extra: { constraint?: string; placeholder?: string; number?: boolean } = {}) => (
    <FormField label={label} errorText={err(field)} constraintText={extra.constraint} data-testid={`${testId}-field-${field}`}>
      <Input
        type={extra.number ? "number" : "text"}
        value={draft[field] as string}
        placeholder={extra.placeholder}
        onChange={({ detail }) => onChange({ [field]: detail.value })}
        data-testid={`${testId}-${field}`}
      />
    </FormField>
  );
  const json = (field: ActionFieldSpec["name"], label: string, constraint: string, placeholder: string) => (
    <FormField label={label} errorText={err(field)} constraintText={constraint} data-testid={`${testId}-field-${field}`}>
      <Textarea
        value={draft[field]}
        placeholder={placeholder}
        rows={3}
        onChange={({ detail }) => onChange({ [field]: detail.value })}
        data-testid={`${testId}-${field}`}
      />
    </FormField>
  );
  return (
    <Container data-testid={testId} header={<Header variant="h3" actions={controls}>{title}</Header>}>
      <ColumnLayout columns={3}>
        <FormField label="Name" errorText={err("name") ?? err("")} data-testid={`${testId}-field-name`}>
          <Input value={draft.name} onChange={({ detail }) => onChange({ name: detail.value })} data-testid={`${testId}-name`} />
        </FormField>
        <FormField label="Type" errorText={err("type")}>
          <Select
            selectedOption={TYPES.find((t) => t.value === draft.type) ?? null}
            options={TYPES}
            onChange={({ detail }) => onChange({ type: detail.selectedOption.value as ActionType })}
            data-testid={`${testId}-type`}
          />
        </FormField>
        <FormField label="On failure" errorText={err("onFailure")}>
          <Select
            selectedOption={ON_FAILURE.find((o) => o.value === (draft.onFailure || "FAIL")) ?? null}
            options={ON_FAILURE}
            onChange={({ detail }) => onChange({ onFailure: detail.selectedOption.value as OnFailure })}
            data-testid={`${testId}-onFailure`}
          />
        </FormField>
        {text("timeoutSeconds", "Timeout (seconds)", {
          number: true,
          placeholder: String(defaultTimeout),
          constraint:
            spec?.timeoutIsPauseTimeout
              ? `Per attempt; empty: the plan's pause timeout, ${formatLimit(defaultTimeout)} (${defaultTimeout} s)`
              : `Per attempt; empty: ${formatLimit(defaultTimeout)} (${defaultTimeout} s)`,
        })}
        {text("maxAttempts", "Attempts", { number: true, placeholder: "1", constraint: "1 to 5; empty: 1" })}
        {actionFields(draft.type).map((field) => (
          <Fragment key={field.name}>
            {field.input === "json"
              ? json(field.name, field.label, field.constraint ?? "", field.placeholder ?? "")
              : text(field.name, field.label, {
                  number: field.input === "number",
                  constraint: field.constraint,
                  placeholder: field.placeholder,
                })}
          </Fragment>
        ))}
        {spec?.note && (
          <Box variant="p" color="text-body-secondary">
            {spec.note}
          </Box>
        )}
      </ColumnLayout>
    </Container>
  );
}

/** The pre- or post-actions of one wave: add, remove, reorder, edit. */
export function ActionList({
  waveIndex,
  stage,
  drafts,
  err,
  clear,
  onChange,
  pauseTimeoutMinutes,
}: {
  waveIndex: number;
  stage: Stage;
  drafts: ActionDraft[];
  err: (field: string) => string | undefined;
  /** Clears the errors of the fields named (an edited field's error goes at once). */
  clear?: (...fields: string[]) => void;
  onChange: (drafts: ActionDraft[]) => void;
  /** The plan's pauseTimeoutMinutes as typed (empty: the default): an APPROVAL's default timeout. */
  pauseTimeoutMinutes?: number | null;
}) {
  const label = stage === "preActions" ? "Pre-action" : "Post-action";
  const prefix = `waves[${waveIndex}].${stage}`;
  const set = (j: number, change: Partial<ActionDraft>) => {
    onChange(drafts.map((d, k) => (k === j ? { ...d, ...change } : d)));
    clear?.(prefix, `${prefix}[${j}]`, ...Object.keys(change).map((field) => `${prefix}[${j}].${field}`));
  };
  const move = (j: number, by: number) => {
    const copy = [...drafts];
    const [d] = copy.splice(j, 1);
    copy.splice(j + by, 0, d);
    onChange(copy);
  };
  return (
    <SpaceBetween size="s">
      <Header
        variant="h3"
        counter={`(${drafts.length})`}
        description={stage === "preActions" ? "Run in order before the wave launches" : "Run in order once the wave's servers are ready"}
        actions={
          <Button iconName="add-plus" onClick={() => onChange([...drafts, toDraft()])} data-testid={`add-${stage}-${waveIndex + 1}`}>
            Add {label.toLowerCase()}
          </Button>
        }
      >
        {label}s
      </Header>
      {err(prefix) && <FormField errorText={err(prefix)} />}
      {drafts.map((draft, j) => {
        const where = `${label} ${j + 1} of wave ${waveIndex + 1}`;
        return (
          <ActionEditor
            key={draft.key}
            draft={draft}
            title={`${label} ${j + 1}${draft.name ? `: ${draft.name}` : ""}`}
            testId={`${stage}-${waveIndex + 1}-${j + 1}`}
            err={(field) => err(field ? `${prefix}[${j}].${field}` : `${prefix}[${j}]`)}
            onChange={(change) => set(j, change)}
            pauseTimeoutMinutes={pauseTimeoutMinutes}
            controls={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="angle-up" variant="icon" ariaLabel={`Move ${where} up`} disabled={j === 0} onClick={() => move(j, -1)} />
                <Button iconName="angle-down" variant="icon" ariaLabel={`Move ${where} down`} disabled={j === drafts.length - 1} onClick={() => move(j, 1)} />
                <Button iconName="remove" variant="icon" ariaLabel={`Remove ${where}`} onClick={() => onChange(drafts.filter((_d, k) => k !== j))} />
              </SpaceBetween>
            }
          />
        );
      })}
    </SpaceBetween>
  );
}
