// The API of the console's group page, execution chart, report links and running instances (their
// records are generated from docs/openapi.json; the calls go through the one Api.request).
import type { Api } from "./client";
import type { components } from "./generated";

type Schemas = components["schemas"];
export type GroupServer = Schemas["GroupServer"];
export type GroupServerList = Schemas["GroupServerList"];
export type GroupUsage = Schemas["GroupUsage"];
export type ReportLink = Schemas["ReportLink"];
export type RunningInstance = Schemas["RunningInstance"];
export type RunningInstanceList = Schemas["RunningInstanceList"];
export type Gantt = Schemas["ReportGantt"];
export type GanttWave = Schemas["ReportGanttWave"];
export type GanttPhase = Schemas["ReportGanttPhase"];

const id = (value: string) => encodeURIComponent(value);

export const groupServers = (api: Api, groupId: string) =>
  api.request<GroupServerList>("GET", `/protection-groups/${id(groupId)}/servers`);

export const groupUsage = (api: Api, groupId: string, limit = 10) =>
  api.request<GroupUsage>("GET", `/protection-groups/${id(groupId)}/usage?limit=${limit}`);

/** A short-lived (presigned) link to the stored HTML report; 409 REPORT_NOT_READY while none is stored. */
export const reportLink = (api: Api, executionId: string) =>
  api.request<ReportLink>("GET", `/executions/${id(executionId)}/report-link`);

export const runningInstances = (api: Api) => api.request<RunningInstanceList>("GET", "/running-instances");

/** The report's chart as the API computes it (the JSON report's `gantt`): the page's bars, as data. */
export async function ganttOf(api: Api, executionId: string): Promise<Gantt> {
  const text = await api.report(executionId, "json");
  return (JSON.parse(text) as { gantt: Gantt }).gantt;
}

/** How a server is named everywhere: its hostname, with its id beside it. */
export function serverLabel(server: { hostname?: string | null; sourceServerId: string }): string {
  const name = (server.hostname ?? "").trim();
  return name && name !== server.sourceServerId ? `${name} (${server.sourceServerId})` : server.sourceServerId;
}
