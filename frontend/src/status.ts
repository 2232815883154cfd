// Display rules for statuses and what an operator may do, from the API's records alone.
// The API decides (statusLabel, canTerminate, the 409s); this file only maps its answers to
// Cloudscape's StatusIndicator types and hides buttons the API would refuse.
import type { StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";
import { ACTION_TYPES as ACTION_TYPE_SPECS } from "./api/actionTypes";
import type { ActionType, Execution, RecoveryTime } from "./api/types";
import { formatTime } from "./time";

export { formatTime };

export type IndicatorType = StatusIndicatorProps.Type;

const EXECUTION_TYPES: Record<string, IndicatorType> = {
  COMPLETED: "success",
  PARTIAL_SUCCESS: "warning",
  FAILED: "error",
  CANCELLED: "error",
  IN_PROGRESS: "in-progress",
  PAUSED: "stopped",
  PENDING: "pending",
  CANCELLING: "pending",
};

const WAVE_TYPES: Record<string, IndicatorType> = {
  COMPLETED: "success",
  FAILED: "error",
  CANCELLED: "stopped",
  IN_PROGRESS: "in-progress",
  NOT_STARTED: "pending",
  SKIPPED: "warning",
};

// Indicator and words of an action's status: the status model's badges (execution_utils.action_badge).
const ACTION_TYPES: Record<string, IndicatorType> = {
  PENDING: "pending",
  RUNNING: "in-progress",
  RETRY_SCHEDULED: "warning",
  SUCCEEDED: "success",
  FAILED: "error",
  TIMED_OUT: "error",
  SKIPPED: "stopped",
  CANCELLED: "stopped",
};

const ACTION_LABELS: Record<string, string> = {
  PENDING: "Not started",
  RUNNING: "Running",
  RETRY_SCHEDULED: "Retry scheduled",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  TIMED_OUT: "Timed out",
  SKIPPED: "Skipped",
  CANCELLED: "Cancelled",
};

const PHASES: Record<string, string> = { PRE_ACTIONS: "Pre-actions", POST_ACTIONS: "Post-actions" };

// A server's phase (the API's `phase`, settled by the status model): live DRS phases, then an outcome.
const SERVER_PHASE_TYPES: Record<string, IndicatorType> = {
  SNAPSHOT: "in-progress",
  CONVERTING: "in-progress",
  LAUNCHING: "in-progress",
  READY: "success",
  FAILED: "error",
  NOT_READY: "warning",
  NOT_LAUNCHED: "stopped",
};

export const ACTIVE_STATUSES = ["PENDING", "IN_PROGRESS", "PAUSED", "CANCELLING"] as const;
export const TERMINAL_STATUSES = ["COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"] as const;
export const EXECUTION_STATUSES = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES];

/** The StatusIndicator type of an execution status (an unknown status is shown as info, not hidden). */
export function executionIndicator(status: string): IndicatorType {
  return EXECUTION_TYPES[status] ?? "info";
}

export function waveIndicator(status: string): IndicatorType {
  return WAVE_TYPES[status] ?? "info";
}

export function actionIndicator(status: string): IndicatorType {
  return ACTION_TYPES[status] ?? "info";
}

/** An action's status in words, with when a scheduled retry starts: "Retry scheduled (attempt 2 of 3 at ...)". */
export function actionStatusText(action: {
  status: string;
  attempts?: number;
  maxAttempts?: number;
  nextAttemptAt?: string | null;
}): string {
  const label = ACTION_LABELS[action.status] ?? humanize(action.status);
  if (action.status !== "RETRY_SCHEDULED") return label;
  const attempt = (action.attempts ?? 0) + 1;
  const when = action.nextAttemptAt ? ` at ${formatTime(action.nextAttemptAt)}` : "";
  return `${label} (attempt ${attempt} of ${action.maxAttempts ?? attempt}${when})`;
}

/** A wave's phase in words ("Pre-actions", "Converting"). */
export function phaseText(phase: string | null | undefined): string {
  return (phase && PHASES[phase]) || humanize(phase);
}

/** The StatusIndicator type of a server's phase; null before DRS started it (nothing to show). */
export function serverPhaseIndicator(phase: string | null | undefined): IndicatorType | null {
  if (!phase) return null;
  return SERVER_PHASE_TYPES[phase] ?? "info";
}

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** "COMPLETED" -> "Completed", "NOT_STARTED" -> "Not started". */
export function humanize(status: string | null | undefined): string {
  if (!status) return "-";
  const text = status.replace(/_/g, " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The wave a pause concerns (`pausedWave`, else the wave it pauses before), in words: "wave 3 (Web)". */
export function pausedWaveText(execution: Execution): string {
  const number = execution.pausedWave ?? execution.pausedBeforeWave;
  const wave = execution.waves.find((w) => w.waveNumber === number);
  return wave ? `wave ${number} (${wave.waveName})` : number ? `wave ${number}` : "the next wave";
}

/**
 * What a skip of the failed wave leads to (execution_utils.after_skip_text): the next wave starts, or,
 * when no wave is left, the execution finishes.
 */
export function afterSkipText(execution: Pick<Execution, "waves" | "pausedWave">): string {
  const number = execution.pausedWave ?? 0;
  const next = execution.waves.find((w) => w.waveNumber > number && w.status === "NOT_STARTED");
  return next
    ? `wave ${next.waveNumber} (${next.waveName}) starts next.`
    : "no wave is left to run: the execution finishes.";
}

/** Why a PAUSED execution waits, in words, and what moves it on. */
export function pauseReasonText(execution: Execution): string | null {
  if (execution.status !== "PAUSED") return null;
  const wave = pausedWaveText(execution);
  switch (execution.pauseReason) {
    case "WAVE_FAILED":
      return `${wave} failed; retry it, skip it or cancel the execution`;
    case "APPROVAL":
      return `waiting for approval of ${execution.pausedAction ?? "an action"} in ${wave}; approve to continue`;
    case "OPERATOR":
      return `paused by an operator before ${wave}; resume to continue`;
    case "BEFORE_WAVE":
    case "PLAN":
      return `the plan pauses before ${wave}; resume to continue`;
    default:
      return `paused before ${wave}; resume to continue`;
  }
}

/** "wave N of M" for an execution, when it has a current wave. */
export function waveOfText(
  execution: Pick<
    Execution,
    "status" | "currentWave" | "totalWaves" | "waves" | "pausedBeforeWave" | "pausedWave" | "pauseReason"
  >,
): string | null {
  const total = execution.totalWaves ?? execution.waves.length;
  const inWave = execution.pauseReason === "WAVE_FAILED" || execution.pauseReason === "APPROVAL";
  if (execution.status === "PAUSED" && inWave && execution.pausedWave && total)
    return `wave ${execution.pausedWave} of ${total}`;
  if (execution.status === "PAUSED" && execution.pausedBeforeWave && total)
    return `before wave ${execution.pausedBeforeWave} of ${total}`;
  if (!isActive(execution.status) || !execution.currentWave || !total) return null;
  return `wave ${execution.currentWave} of ${total}`;
}

export interface AllowedActions {
  pause: boolean;
  resume: boolean;
  approve: boolean;
  retry: boolean;
  skip: boolean;
  cancel: boolean;
  terminate: boolean;
}

/**
 * Which control buttons are enabled for an execution record as the API returned it.
 * - Pause: IN_PROGRESS or PENDING, a wave still NOT_STARTED (a pause is honoured at a wave boundary),
 *   and no pause already requested.
 * - Resume: PAUSED, but for an approval (Approve, which resumes too) or a failed wave (the API
 *   answers 409: retry, skip or cancel instead).  Approve: PAUSED for an APPROVAL action.
 * - Retry and Skip: PAUSED because a wave failed (WAVE_FAILED).  Cancel: PENDING, IN_PROGRESS or PAUSED.
 * - Terminate: exactly `canTerminate.canTerminate` as the API computed it, never recomputed here.
 */
export function allowedActions(execution: Execution): AllowedActions {
  const status = execution.status;
  const paused = status === "PAUSED";
  const reason = execution.pauseReason;
  const waveLeft = execution.waves.some((w) => w.status === "NOT_STARTED");
  return {
    pause: (status === "IN_PROGRESS" || status === "PENDING") && waveLeft && !execution.pauseRequested,
    resume: paused && reason !== "APPROVAL" && reason !== "WAVE_FAILED",
    approve: paused && reason === "APPROVAL",
    retry: paused && reason === "WAVE_FAILED",
    skip: paused && reason === "WAVE_FAILED",
    cancel: status === "PENDING" || status === "IN_PROGRESS" || paused,
    terminate: execution.canTerminate?.canTerminate === true,
  };
}

/** Seconds from `start` to `end` (or to now, when it has not ended), or null without a start. */
export function secondsBetween(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start) return null;
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : Date.now();
  // The API's one rule (execution_utils.whole_second): whole seconds of each end, subtracted.
  return Number.isNaN(from) || Number.isNaN(to) ? null : Math.max(0, Math.floor(to / 1000) - Math.floor(from / 1000));
}

/** Any value the API gives as an error (a string, or an object with a message) as one line of text. */
export function errorText(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "string") return value;
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    for (const key of ["message", "Cause", "cause", "error", "Error"]) {
      if (typeof v[key] === "string" && v[key]) return v[key] as string;
    }
    return JSON.stringify(value);
  }
  return String(value);
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "-";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${rest} s`;
  return `${rest} s`;
}

/**
 * A configured limit (a timeout) in the largest unit that states it exactly: "10 s", "90 s", "15 min",
 * "24 h" (the same words as the API's errors, execution_utils.format_limit).
 */
export function formatLimit(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds < 0) return "-";
  const whole = Math.floor(seconds);
  if (whole && whole % 3600 === 0) return `${whole / 3600} h`;
  if (whole && whole % 60 === 0) return `${whole / 60} min`;
  return `${whole} s`;
}

/** The plan's pause timeout when it sets none (model.DEFAULT_PAUSE_TIMEOUT_MINUTES): 24 h. */
export const DEFAULT_PAUSE_TIMEOUT_MINUTES = 1440;
/** An action's timeout when it sets none (model.DEFAULT_ACTION_TIMEOUT_SECONDS), but for an APPROVAL. */
export const DEFAULT_ACTION_TIMEOUT_SECONDS = 900;

/**
 * The timeout an action runs with when its timeoutSeconds is empty, as the API applies it: an APPROVAL
 * waits as long as any pause may (the plan's pauseTimeoutMinutes), every other type 900 s.
 */
export function defaultActionTimeoutSeconds(type: string, pauseTimeoutMinutes: number | null | undefined): number {
  if (ACTION_TYPE_SPECS[type as ActionType]?.timeoutIsPauseTimeout) return (pauseTimeoutMinutes || DEFAULT_PAUSE_TIMEOUT_MINUTES) * 60;
  return DEFAULT_ACTION_TIMEOUT_SECONDS;
}

export type RtoVerdictKey = "MET" | "MISSED" | "NO_TARGET" | "IN_PROGRESS" | "NOT_JUDGED";

export interface RtoVerdict {
  key: RtoVerdictKey;
  type: IndicatorType;
  text: string;
}

/**
 * The verdict on an execution's recovery time, from the API's `recoveryTime` alone (never recomputed):
 * no target -> info; met -> success; met false -> error; met null while the execution is active ->
 * in-progress. `null` when the API gave no recoveryTime.
 */
export function rtoVerdict(recovery: RecoveryTime | null | undefined, status: string): RtoVerdict | null {
  if (!recovery) return null;
  if (recovery.targetSeconds === null || recovery.targetSeconds === undefined)
    return { key: "NO_TARGET", type: "info", text: "No recovery time objective" };
  if (recovery.met === true) return { key: "MET", type: "success", text: "RTO met" };
  if (recovery.met === false) return { key: "MISSED", type: "error", text: "RTO missed" };
  if (isActive(status)) return { key: "IN_PROGRESS", type: "in-progress", text: "In progress" };
  return { key: "NOT_JUDGED", type: "pending", text: "Not judged" };
}

/** How far under or over the target the recovery time was ("2 min 5 s under target"), when both are known. */
export function rtoMarginText(recovery: RecoveryTime | null | undefined): string | null {
  if (!recovery || recovery.seconds === null || recovery.seconds === undefined) return null;
  if (recovery.targetSeconds === null || recovery.targetSeconds === undefined) return null;
  const margin = recovery.targetSeconds - recovery.seconds;
  if (margin === 0) return "exactly on target";
  return `${formatDuration(Math.abs(margin))} ${margin > 0 ? "under" : "over"} target`;
}

/** A plan's rtoTargetMinutes in words: "90 min", "4 h", "None". */
export function formatTarget(minutes: number | null | undefined): string {
  if (!minutes) return "None";
  if (minutes % 60 === 0 && minutes >= 60) return `${minutes / 60} h`;
  return minutes > 60 ? `${minutes} min (${formatDuration(minutes * 60)})` : `${minutes} min`;
}

export type ExecutionAction = "pause" | "resume" | "approve" | "retry" | "skip" | "cancel" | "terminate";

/**
 * What an accepted action did, as a sentence for the notification: "Drill of 3TierRecoveryPlan
 * paused", "app-owner-sign-off approved: the drill of 3TierRecoveryPlan goes on".
 */
export function actionSentence(
  action: ExecutionAction,
  before: Pick<Execution, "executionType" | "planName" | "pausedAction" | "waves" | "pausedWave" | "pausedBeforeWave">,
  after?: Pick<Execution, "status"> | null,
): string {
  const kind = before.executionType === "RECOVERY" ? "Recovery" : "Drill";
  const subject = `${kind} of ${before.planName}`;
  const lower = subject.charAt(0).toLowerCase() + subject.slice(1);
  const wave = pausedWaveText(before as Execution);
  switch (action) {
    case "pause":
      return `${subject} pauses before its next wave`;
    case "resume":
      return `${subject} resumed`;
    case "approve":
      return `${before.pausedAction ?? "The action"} approved: the ${lower} goes on`;
    case "retry":
      return `${wave.charAt(0).toUpperCase()}${wave.slice(1)} of the ${lower} is retried`;
    case "skip":
      return `${wave.charAt(0).toUpperCase()}${wave.slice(1)} of the ${lower} skipped`;
    case "cancel":
      return after?.status === "CANCELLING" ? `${subject} is being cancelled` : `${subject} cancelled`;
    case "terminate":
      return `The recovery instances of the ${lower} are being terminated`;
  }
}
