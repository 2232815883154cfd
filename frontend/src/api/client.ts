// The REST API over one `fetch`: plain in the sandbox, SigV4-signed when deployed (see auth.ts).
import type {
  Execution,
  ExecutionServer,
  ExecutionSummary,
  Page,
  PlanDrillSchedule,
  ProtectionGroup,
  RecoveryPlan,
  SourceServer,
  TimelineEntry,
} from "./types";
import type { WatchedPage } from "./watch";

/** The query of a watched list: a page (limit, nextToken), since a cursor when given. */
export interface WatchedQuery {
  limit?: number;
  nextToken?: string | null;
  since?: string | null;
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** An API error: `{"error": {"code", "message", "details"}}` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The request field the API names as invalid (`details.field`), if any. */
  get field(): string | null {
    const field = this.details.field;
    return typeof field === "string" ? field : null;
  }
}

export interface GroupBody {
  name: string;
  description?: string;
  sourceServerIds?: string[];
  serverSelectionTags?: Record<string, string>;
  serverImpactLevels?: Record<string, "CRITICAL" | "OPTIONAL">;
  launchSettings?: ProtectionGroup["launchSettings"];
}

export type PlanBody = Omit<RecoveryPlan, "planId" | "createdAt" | "updatedAt">;

export interface ListExecutionsQuery {
  planId?: string;
  status?: string;
  limit?: number;
  nextToken?: string | null;
}

function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const id = (value: string) => encodeURIComponent(value);

export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
  ) {}

  /** Sends one request and answers its body as text, or throws the API's error as an ApiError. */
  private async send(method: string, path: string, body: unknown, accept: string): Promise<string> {
    const init: RequestInit = { method, headers: { Accept: accept } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, "Content-Type": "application/json" };
    }
    let response: Response;
    try {
      response = await this.fetcher(this.baseUrl + path, init);
    } catch (e) {
      throw new ApiError(0, "NETWORK_ERROR", `the API could not be reached: ${(e as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let data: unknown = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      const error = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
        ?.error;
      const message =
        error?.message ??
        (data as { message?: string } | null)?.message ??
        `HTTP ${response.status} ${response.statusText}`;
      throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, message, error?.details ?? {});
    }
    return text;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.send(method, path, body, "application/json");
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    return data as T;
  }

  sourceServers = () => this.request<Page<SourceServer>>("GET", "/drs/source-servers");

  groups = () => this.request<Page<ProtectionGroup>>("GET", "/protection-groups");
  group = (groupId: string) => this.request<ProtectionGroup>("GET", `/protection-groups/${id(groupId)}`);
  createGroup = (body: GroupBody) => this.request<ProtectionGroup>("POST", "/protection-groups", body);
  updateGroup = (groupId: string, body: GroupBody) =>
    this.request<ProtectionGroup>("PUT", `/protection-groups/${id(groupId)}`, body);
  deleteGroup = (groupId: string) => this.request<null>("DELETE", `/protection-groups/${id(groupId)}`);

  plans = () => this.request<Page<RecoveryPlan>>("GET", "/recovery-plans");
  plan = (planId: string) => this.request<RecoveryPlan>("GET", `/recovery-plans/${id(planId)}`);
  createPlan = (body: PlanBody) => this.request<RecoveryPlan>("POST", "/recovery-plans", body);
  updatePlan = (planId: string, body: PlanBody) =>
    this.request<RecoveryPlan>("PUT", `/recovery-plans/${id(planId)}`, body);
  deletePlan = (planId: string) => this.request<null>("DELETE", `/recovery-plans/${id(planId)}`);
  /** The plan's drill schedule: whether Scheduler holds it, its next run and its recent runs. */
  drillSchedule = (planId: string) =>
    this.request<PlanDrillSchedule>("GET", `/recovery-plans/${id(planId)}/drill-schedule`);

  startDrill = (planId: string) =>
    this.request<{ executionId: string; status: string }>("POST", `/recovery-plans/${id(planId)}/executions`, {
      executionType: "DRILL",
    });
  /** A real recovery, on its own route (IAM grants it to Administrators only), confirmed by the plan's name as typed. */
  startRecovery = (planId: string, confirmPlanName: string) =>
    this.request<{ executionId: string; status: string }>("POST", `/recovery-plans/${id(planId)}/recovery`, {
      confirmPlanName,
    });

  executions = (q: ListExecutionsQuery = {}) =>
    this.request<Page<ExecutionSummary>>(
      "GET",
      `/executions${query({ planId: q.planId, status: q.status, limit: q.limit, nextToken: q.nextToken })}`,
    );
  execution = (executionId: string) => this.request<Execution>("GET", `/executions/${id(executionId)}`);
  /** A page of the execution's servers; with `since` (a cursor an earlier read answered), of those changed since. */
  executionServers = (executionId: string, q: WatchedQuery = {}) =>
    this.request<WatchedPage<ExecutionServer>>(
      "GET",
      `/executions/${id(executionId)}/servers${query({ limit: q.limit, nextToken: q.nextToken, since: q.since })}`,
    );

  /** A page of the execution's timeline, oldest first; with `since`, of what was written since. */
  timeline = (executionId: string, q: WatchedQuery = {}) =>
    this.request<WatchedPage<TimelineEntry>>(
      "GET",
      `/executions/${id(executionId)}/timeline${query({ limit: q.limit, nextToken: q.nextToken, since: q.since })}`,
    );
  /**
   * The drill report as the API sends it (an HTML page or a JSON document), through the same fetch
   * as every other call: SigV4-signed when deployed, so it cannot be a plain link.
   */
  report = (executionId: string, format: "html" | "json") =>
    this.send(
      "GET",
      `/executions/${id(executionId)}/report${query({ format })}`,
      undefined,
      format === "html" ? "text/html" : "application/json",
    );

  pause = (executionId: string) => this.request<Execution>("POST", `/executions/${id(executionId)}/pause`, {});
  resume = (executionId: string, comment?: string) =>
    this.request<Execution>("POST", `/executions/${id(executionId)}/resume`, comment ? { comment } : {});
  /** A wave that failed (PAUSED, pauseReason WAVE_FAILED) runs again; a RECOVERY's on retry-recovery, with the plan's name. */
  retry = (execution: Pick<Execution, "executionId" | "executionType">, comment?: string, confirmPlanName?: string) =>
    this.decideWave("retry", execution, comment, confirmPlanName);
  /** A wave that failed (PAUSED, pauseReason WAVE_FAILED) is SKIPPED: the next waves go on; a RECOVERY's on skip-recovery, with the plan's name. */
  skip = (execution: Pick<Execution, "executionId" | "executionType">, comment?: string, confirmPlanName?: string) =>
    this.decideWave("skip", execution, comment, confirmPlanName);
  /** A RECOVERY's failed wave acts on production: its own route (IAM grants it to Administrators only), confirmed by the plan's name. */
  private decideWave(
    verb: "retry" | "skip",
    execution: Pick<Execution, "executionId" | "executionType">,
    comment?: string,
    confirmPlanName?: string,
  ) {
    const body: Record<string, string> = comment ? { comment } : {};
    if (execution.executionType === "RECOVERY") {
      return this.request<Execution>("POST", `/executions/${id(execution.executionId)}/${verb}-recovery`, {
        ...body,
        confirmPlanName: confirmPlanName ?? "",
      });
    }
    return this.request<Execution>("POST", `/executions/${id(execution.executionId)}/${verb}`, body);
  }
  /** Move the automatic cleanup of a drill's instances postponeHours later. */
  postponeCleanup = (executionId: string, postponeHours: number) =>
    this.request<Execution>("POST", `/executions/${id(executionId)}/cleanup`, { postponeHours });
  cancel = (executionId: string) => this.request<Execution>("POST", `/executions/${id(executionId)}/cancel`, {});
  /** A DRILL's instances: terminate-instances; a RECOVERY's: terminate-recovery-instances with the plan's name. */
  terminate = (execution: Pick<Execution, "executionId" | "executionType">, confirmPlanName?: string) =>
    execution.executionType === "RECOVERY"
      ? this.request<Execution>("POST", `/executions/${id(execution.executionId)}/terminate-recovery-instances`, {
          confirmPlanName: confirmPlanName ?? "",
        })
      : this.request<Execution>("POST", `/executions/${id(execution.executionId)}/terminate-instances`, {});
}
