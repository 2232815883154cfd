// The REST API's records as the console reads them (README "REST API (contract)"). The records the
// API answers with are generated from docs/openapi.json (generated.ts, `npm run api-types`); the
// names below alias them. Only what the console adds (unions for its own switches) is hand-written.
import type { components } from "./generated";

type Schemas = components["schemas"];

export type ExecutionStatus =
  | "PENDING"
  | "IN_PROGRESS"
  | "PAUSED"
  | "CANCELLING"
  | "COMPLETED"
  | "PARTIAL_SUCCESS"
  | "FAILED"
  | "CANCELLED";

/** SKIPPED: an operator skipped the wave after it failed (the execution then never ends COMPLETED). */
export type WaveStatus = "NOT_STARTED" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "SKIPPED";

/** Phase of an IN_PROGRESS wave: its pre-actions, the DRS launch, then its post-actions. */
export type WavePhase =
  | "PRE_ACTIONS"
  | "QUEUED_FOR_CAPACITY"
  | "SUBMITTED"
  | "SNAPSHOT"
  | "CONVERTING"
  | "LAUNCHING"
  | "VERIFYING"
  | "POST_ACTIONS";

/**
 * Why a PAUSED execution waits: the plan's pauseBeforeWave, an operator's pause, an APPROVAL action
 * waiting for someone to resume, or a failed wave (onWaveFailure PAUSE) to retry, skip or cancel.
 */
export type PauseReason = "BEFORE_WAVE" | "OPERATOR" | "APPROVAL" | "WAVE_FAILED";

// --- the recovery runbook: actions run before a wave launches and after its servers are ready ---

export type ActionType = "LAMBDA" | "SSM_COMMAND" | "SSM_AUTOMATION" | "WAIT" | "APPROVAL";
export type ActionStage = "PRE" | "POST";
/**
 * PENDING: not started; RETRY_SCHEDULED: an attempt failed and the next one starts at `nextAttemptAt`;
 * SKIPPED: never run, the wave failed first; CANCELLED: stopped (or never run) by a cancel.
 */
export type ActionStatus =
  | "PENDING"
  | "RUNNING"
  | "RETRY_SCHEDULED"
  | "SUCCEEDED"
  | "FAILED"
  | "TIMED_OUT"
  | "SKIPPED"
  | "CANCELLED";
export type OnFailure = "FAIL" | "CONTINUE";

export type PlanAction = Schemas["RecoveryPlan"]["waves"][number]["preActions"] extends (infer A)[] | undefined ? A : never;

export type WaveAction = Schemas["WaveAction"];

export type Progress = Schemas["Progress"];

export type CanTerminate = Schemas["CanTerminate"];

export type FailedServer = NonNullable<Schemas["Wave"]["failedServers"]>[number];

export type ActorIdentity = Schemas["ReportIdentity"];

export type Wave = Schemas["Wave"];

export type RecoveryTime = Schemas["ReportRecoveryTime"];

export type Execution = Schemas["Execution"];

export type ExecutionSummary = Schemas["ExecutionSummary"];

export type ExecutionServer = Schemas["ExecutionServer"];

export type TimelineEvent = Schemas["ReportEvent"];
/** A timeline event as GET /executions/{id}/timeline answers it: with its id and sort key. */
export type TimelineEntry = Schemas["TimelineEntry"];

export type SourceServer = Schemas["SourceServer"];

export type ProtectionGroup = Schemas["StoredProtectionGroup"];

export type PlanWave = Schemas["RecoveryPlan"]["waves"][number];

export type PlanOptions = NonNullable<Schemas["RecoveryPlan"]["options"]>;

export type RecoveryPlan = Schemas["StoredRecoveryPlan"];

export type DrillSchedule = NonNullable<Schemas["RecoveryPlan"]["drillSchedule"]>;

export type PlanDrillSchedule = Schemas["PlanDrillSchedule"];

export type ScheduledDrillRun = Schemas["ScheduledDrillRun"];

export interface Page<T> {
  items: T[];
  nextToken?: string | null;
}

/** What an execution's recovery instances cost: an estimate from list prices (execution_utils.drill_cost). */
export type Cost = Schemas["ReportCost"];

export type CostType = Schemas["ReportCostType"];
