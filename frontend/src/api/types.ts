// The REST API's records as the console reads them (README "REST API (contract)").

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

/** An action of a plan's wave (preActions, postActions), as the plan declares it. */
export interface PlanAction {
  name: string;
  type: ActionType;
  /** Default 900. */
  timeoutSeconds?: number;
  /** 1-5, default 1. */
  maxAttempts?: number;
  /** FAIL (default): the wave fails; CONTINUE: a warning. */
  onFailure?: OnFailure;
  /** LAMBDA */
  functionName?: string;
  payload?: Record<string, unknown>;
  /** SSM_COMMAND, SSM_AUTOMATION */
  documentName?: string;
  parameters?: Record<string, string[]>;
  /** WAIT: 60-7200. */
  durationSeconds?: number;
}

/** An action of an execution's wave, as it ran. `output` is user-controlled text: always shown as text. */
export interface WaveAction {
  name: string;
  type: ActionType | string;
  stage: ActionStage | string;
  status: ActionStatus | string;
  attempts?: number;
  maxAttempts?: number;
  onFailure?: OnFailure | string;
  startTime?: string | null;
  endTime?: string | null;
  /** RETRY_SCHEDULED: when the next attempt starts. */
  nextAttemptAt?: string | null;
  /** A text excerpt of at most 4 KB. */
  output?: string | null;
  error?: unknown;
  approvedBy?: string | null;
  comment?: string | null;
}

export interface Progress {
  totalServers: number;
  launched: number;
  converting: number;
  ready: number;
  failed: number;
}

export interface CanTerminate {
  canTerminate: boolean;
  reason: string | null;
  hasRecoveryInstances: boolean;
}

/** A server of the wave that did not recover: its launch error as DRS or EC2 gave it. */
export interface FailedServer {
  sourceServerId: string;
  hostname?: string | null;
  error?: unknown;
  impactLevel?: string | null;
}

/**
 * Who acted, as a structured value beside each "...By" field (which holds it in words, as the API,
 * the report and drsctl show it): a console user (COGNITO_USER) with the role they acted through,
 * an IAM caller (IAM) by ARN, or the orchestrator itself (SYSTEM).
 */
export interface ActorIdentity {
  type: "COGNITO_USER" | "IAM" | "SYSTEM";
  name?: string;
  username?: string;
  email?: string;
  sub?: string;
  role?: string;
  arn?: string;
}

export interface Wave {
  waveNumber: number;
  waveName: string;
  status: WaveStatus | string;
  phase: WavePhase | string | null;
  jobIds: string[];
  startTime?: string | null;
  endTime?: string | null;
  progress?: Partial<Progress>;
  serverCount?: number;
  pauseBeforeWave?: boolean;
  protectionGroupIds?: string[];
  error?: unknown;
  warnings?: unknown[];
  /** The servers that failed, each with its own error (the wave's error names only their ids). */
  failedServers?: FailedServer[];
  queuedReason?: string | null;
  pollError?: unknown;
  /** From the wave's start to its end; null while it runs or before it starts. */
  durationSeconds?: number | null;
  /** How many times the wave was retried after it failed. */
  retries?: number;
  /** Who retried it last, and who skipped it (the API's words: a person with the role beside, or an IAM ARN). */
  retriedBy?: string;
  retriedByIdentity?: ActorIdentity;
  skippedBy?: string;
  skippedByIdentity?: ActorIdentity;
  skipComment?: string;
  /** Its pre-actions, then its post-actions, in the order they run. */
  actions?: WaveAction[];
}

/**
 * The execution's recovery time (README "Evidence of every drill"): `seconds` from the start to the
 * moment the last wave COMPLETED (a COMPLETED execution only), `pausedSeconds` reported apart,
 * `activeSeconds` the rest; `met` compares `seconds` with the plan's rtoTargetMinutes (null without
 * a target or while active, false for an execution that did not recover every wave).
 */
export interface RecoveryTime {
  seconds: number | null;
  pausedSeconds: number;
  activeSeconds: number | null;
  targetSeconds: number | null;
  met: boolean | null;
}

export interface Execution {
  executionId: string;
  planId: string;
  planName: string;
  executionType: "DRILL" | "RECOVERY" | string;
  status: ExecutionStatus | string;
  statusLabel: string;
  startTime?: string | null;
  endTime?: string | null;
  durationSeconds?: number | null;
  elapsedSeconds?: number;
  lastPolledTime?: string | null;
  totalWaves?: number;
  completedWaves?: number;
  currentWave?: number | null;
  totalServers?: number;
  /** Who started it, in the API's words (a person with the role beside, or an IAM ARN). */
  initiatedBy?: string;
  initiatedByIdentity?: ActorIdentity;
  waves: Wave[];
  progress?: Partial<Progress>;
  canTerminate: CanTerminate;
  instancesTerminated?: boolean;
  pauseRequested?: boolean;
  pausedBeforeWave?: number | null;
  pauseReason?: PauseReason | string | null;
  /** The wave the pause concerns. */
  pausedWave?: number | null;
  /** For an APPROVAL pause: the action waiting for approval. */
  pausedAction?: string | null;
  cancelRequested?: boolean;
  cancelReason?: string | null;
  error?: unknown;
  terminationStatus?: string | null;
  terminationError?: unknown;
  options?: PlanOptions;
  recoveryTime?: RecoveryTime;
  resumedBy?: string;
  resumeComment?: string;
  cancelRequestedBy?: string;
  terminationRequestedBy?: string;
  reportLocation?: string | null;
}

export interface ExecutionSummary {
  executionId: string;
  planId: string;
  planName: string;
  executionType: string;
  status: ExecutionStatus | string;
  statusLabel: string;
  startTime?: string | null;
  endTime?: string | null;
  durationSeconds?: number | null;
  totalWaves?: number;
  completedWaves?: number;
  currentWave?: number | null;
  progress?: Partial<Progress>;
}

export interface ExecutionServer {
  sourceServerId: string;
  hostname?: string | null;
  waveNumber?: number;
  impactLevel?: string;
  launchStatus?: string | null;
  phase?: string | null;
  recoveryInstanceId?: string | null;
  ec2InstanceId?: string | null;
  ec2State?: string | null;
  privateIp?: string | null;
  instanceType?: string | null;
  launchTime?: string | null;
  ready?: boolean;
  error?: unknown;
  /** Its DRS job's start to ready. */
  recoveryTimeSeconds?: number | null;
  phaseTimes?: Record<string, string>;
}

/** One thing that happened to an execution (GET /executions/{id}/timeline), oldest first. */
export interface TimelineEvent {
  time: string;
  type: string;
  message: string;
  waveNumber?: number;
  sourceServerId?: string;
  actor?: string;
  details?: Record<string, unknown>;
}

export interface SourceServer {
  sourceServerId: string;
  hostname?: string | null;
  fqdn?: string | null;
  tags: Record<string, string>;
  replicationState?: string | null;
  lastLaunchResult?: string | null;
  isArchived?: boolean;
}

export interface ProtectionGroup {
  groupId: string;
  name: string;
  description?: string;
  region?: string;
  sourceServerIds?: string[];
  serverSelectionTags?: Record<string, string>;
  serverImpactLevels?: Record<string, "CRITICAL" | "OPTIONAL">;
  createdAt?: string;
  updatedAt?: string;
}

export interface PlanWave {
  waveName: string;
  protectionGroupIds: string[];
  pauseBeforeWave?: boolean;
  preActions?: PlanAction[];
  postActions?: PlanAction[];
}

export interface PlanOptions {
  readinessCheck?: "LAUNCHED" | "EC2_RUNNING" | "EC2_STATUS_OK";
  waveTimeoutMinutes?: number;
  pauseTimeoutMinutes?: number;
  capacityWaitMinutes?: number;
  /** The recovery time objective (1-10,080 minutes) each execution's recovery time is judged against. */
  rtoTargetMinutes?: number;
  /** A failed wave ends the execution (STOP) or pauses it for an operator to retry, skip or cancel (PAUSE). */
  onWaveFailure?: "STOP" | "PAUSE";
}

export interface RecoveryPlan {
  planId: string;
  name: string;
  description?: string;
  waves: PlanWave[];
  options?: PlanOptions;
  createdAt?: string;
  updatedAt?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string | null;
}
