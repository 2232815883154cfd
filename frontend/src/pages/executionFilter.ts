// What the executions list filters on: the API's summary, plus two facts only the full execution
// has (who started it, whether its recovery instances still run), fetched when a filter asks for them.
import type { PropertyFilterProperty } from "@cloudscape-design/collection-hooks";
import type { PropertyFilterQuery } from "@cloudscape-design/collection-hooks";
import type { Execution, ExecutionSummary } from "../api/types";
import { EXECUTION_STATUSES, humanize, isActive } from "../status";

export interface ExecutionDetails {
  startedBy: string;
  /** "Yes" when the execution ended and its recovery instances were neither terminated nor absent. */
  stillRunning: "Yes" | "No";
}

export type ExecutionRow = ExecutionSummary & Partial<ExecutionDetails>;

/** The facts the summary lacks, from the full execution. */
export function detailsOf(execution: Execution): ExecutionDetails {
  const running =
    !isActive(execution.status) &&
    execution.canTerminate?.hasRecoveryInstances === true &&
    execution.instancesTerminated !== true;
  return { startedBy: execution.initiatedBy ?? "-", stillRunning: running ? "Yes" : "No" };
}

export const DETAIL_KEYS = ["startedBy", "stillRunning"] as const;

/** Whether a query filters on a fact that needs the full executions. */
export function needsDetails(query: PropertyFilterQuery): boolean {
  return query.tokens.some((t) => (DETAIL_KEYS as readonly string[]).includes(t.propertyKey ?? ""));
}

/** ISO timestamps compare as text; a date ("2026-12-07") or a minute ("2026-12-07T10:00") compares by its prefix. */
export function startedOnOrAfter(itemValue: unknown, token: string): boolean {
  return typeof itemValue === "string" && itemValue.slice(0, token.length) >= token.trim();
}

export function startedOnOrBefore(itemValue: unknown, token: string): boolean {
  return typeof itemValue === "string" && itemValue.slice(0, token.length) <= token.trim();
}

export const FILTERING_PROPERTIES: PropertyFilterProperty[] = [
  { key: "planName", propertyLabel: "Plan", groupValuesLabel: "Plans", operators: ["=", "!=", ":"] },
  { key: "status", propertyLabel: "Status", groupValuesLabel: "Statuses", operators: ["=", "!="] },
  { key: "executionType", propertyLabel: "Type", groupValuesLabel: "Types", operators: ["=", "!="] },
  { key: "startedBy", propertyLabel: "Started by", groupValuesLabel: "People", operators: ["=", "!=", ":"] },
  {
    key: "startTime",
    propertyLabel: "Started",
    groupValuesLabel: "Start times (UTC, 2026-12-07 or 2026-12-07T10:00)",
    operators: [
      { operator: ">=", match: (v, t: string) => startedOnOrAfter(v, t), description: "on or after" },
      { operator: "<=", match: (v, t: string) => startedOnOrBefore(v, t), description: "on or before" },
    ],
  },
  {
    key: "stillRunning",
    propertyLabel: "Instances still running",
    groupValuesLabel: "Instances still running",
    operators: ["="],
  },
];

export function filteringOptions(rows: ExecutionRow[]) {
  const unique = (values: (string | undefined)[]) => [...new Set(values.filter((v): v is string => Boolean(v)))];
  return [
    ...unique(rows.map((r) => r.planName)).map((value) => ({ propertyKey: "planName", value })),
    ...EXECUTION_STATUSES.map((value) => ({ propertyKey: "status", value, label: humanize(value) })),
    ...["DRILL", "RECOVERY"].map((value) => ({ propertyKey: "executionType", value })),
    ...unique(rows.map((r) => r.startedBy)).map((value) => ({ propertyKey: "startedBy", value })),
    ...["Yes", "No"].map((value) => ({ propertyKey: "stillRunning", value })),
  ];
}
