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

export type WaveStatus = "NOT_STARTED" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED";

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

export interface Wave {
  waveNumber: number;
  waveName: string;
  status: WaveStatus | string;
  phase: string | null;
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
  initiatedBy?: string;
  waves: Wave[];
  progress?: Partial<Progress>;
  canTerminate: CanTerminate;
  instancesTerminated?: boolean;
  pauseRequested?: boolean;
  pausedBeforeWave?: number | null;
  pauseReason?: string | null;
  cancelRequested?: boolean;
  cancelReason?: string | null;
  error?: unknown;
  terminationStatus?: string | null;
  terminationError?: unknown;
  options?: PlanOptions;
  recoveryTime?: RecoveryTime;
  resumedBy?: string;
  resumeComment?: string;
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
}

export interface PlanOptions {
  readinessCheck?: "LAUNCHED" | "EC2_RUNNING" | "EC2_STATUS_OK";
  waveTimeoutMinutes?: number;
  pauseTimeoutMinutes?: number;
  capacityWaitMinutes?: number;
  /** The recovery time objective (1-10,080 minutes) each execution's recovery time is judged against. */
  rtoTargetMinutes?: number;
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
