import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import type { TableProps } from "@cloudscape-design/components/table";
import type { ExecutionServer } from "../api/types";
import { compareServers, serverKeyOf, WATCH_PAGE_LIMIT } from "../api/watch";
import { WatchedTable } from "../components/WatchedTable";
import { LongText, type Column } from "../components/ResourceTable";
import { useApi } from "../session";
import { errorText, formatDuration, formatTime, humanize, serverPhaseIndicator } from "../status";


function launchType(server: ExecutionServer) {
  if (server.phase === "NOT_LAUNCHED") return "stopped" as const;
  if (server.ready) return "success" as const;
  if (server.launchStatus === "FAILED") return "error" as const;
  if (server.launchStatus === "TERMINATED") return "stopped" as const;
  if (server.launchStatus === "LAUNCHED") return "in-progress" as const;
  return "pending" as const;
}

export const SERVER_PAGE_SIZE = 50;

/** The text a server search looks in. */
export function serverSearchText(s: ExecutionServer): string {
  return [s.sourceServerId, s.hostname ?? "", s.ec2InstanceId ?? "", s.privateIp ?? "", s.launchStatus ?? "", s.phase ?? "", errorText(s.error) ?? ""].join(" ");
}

const COLUMNS: Column<ExecutionServer>[] = [
  {
    id: "hostname",
    header: "Server",
    alwaysVisible: true,
    width: 280,
    cell: (s) => (
      <span data-testid="server-id" data-id={s.sourceServerId}>
        <LongText text={s.hostname ? `${s.hostname} (${s.sourceServerId})` : s.sourceServerId} />
      </span>
    ),
  },
  { id: "wave", header: "Wave", cell: (s) => s.waveNumber ?? "-", width: 90 },
  {
    id: "launch",
    header: "Launch status",
    width: 200,
    cell: (s) => (
      <span title={s.error ? errorText(s.error) ?? undefined : undefined}>
        <StatusIndicator type={launchType(s)}>
          {/* A server whose wave ended before DRS launched it is not "pending": it never launched. */}
          {s.phase === "NOT_LAUNCHED" ? "Not launched" : humanize(s.launchStatus ?? "PENDING")}
        </StatusIndicator>
      </span>
    ),
  },
  { id: "error", header: "Error", cell: (s) => <LongText text={errorText(s.error)} />, width: 260 },
  {
    id: "phase",
    header: "Phase",
    width: 150,
    cell: (s) => {
      const type = serverPhaseIndicator(s.phase);
      return type ? (
        <span data-testid="server-phase">
          <StatusIndicator type={type}>{humanize(s.phase)}</StatusIndicator>
        </span>
      ) : (
        "-"
      );
    },
  },
  { id: "instance", header: "Instance", cell: (s) => s.ec2InstanceId ?? "-", width: 200 },
  {
    id: "state",
    header: "EC2 state",
    width: 120,
    cell: (s) => <span data-testid="server-ec2-state">{s.ec2State ?? "-"}</span>,
  },
  { id: "ip", header: "Private IP", cell: (s) => s.privateIp ?? "-", width: 130 },
  { id: "type", header: "Instance type", cell: (s) => s.instanceType ?? "-", width: 140 },
  { id: "launched", header: "Launch time", cell: (s) => formatTime(s.launchTime), width: 210 },
  { id: "recovery", header: "Recovery time", cell: (s) => formatDuration(s.recoveryTimeSeconds), width: 140 },
  { id: "impact", header: "Impact", cell: (s) => humanize(s.impactLevel ?? "CRITICAL"), width: 110 },
  {
    id: "ready",
    header: "Ready",
    width: 100,
    cell: (s) => <StatusIndicator type={s.ready ? "success" : "pending"}>{s.ready ? "Yes" : "No"}</StatusIndicator>,
  },
];

/**
 * The servers of an execution (GET /executions/{id}/servers): read whole once, then at each refresh
 * (`version`) only the servers changed since the last read, merged in (api/watch.ts).
 */
export function ServerTable({
  executionId,
  version,
  variant = "container",
}: {
  executionId: string;
  version: number;
  variant?: TableProps.Variant;
}) {
  const api = useApi();
  return (
    <WatchedTable<ExecutionServer>
      tableId="execution-servers"
      testId="server-table"
      variant={variant}
      columns={COLUMNS}
      load={(since, token) => api.executionServers(executionId, { limit: WATCH_PAGE_LIMIT, nextToken: token, since })}
      keyOf={serverKeyOf}
      compare={compareServers}
      reset={[executionId]}
      version={version}
      pageSize={SERVER_PAGE_SIZE}
      searchText={serverSearchText}
      filteringPlaceholder="Find servers by hostname, id, instance or error"
      header={
        <Header variant="h2" description="Enriched with EC2 data as the execution is polled">
          Servers
        </Header>
      }
      loadingText="Loading servers"
      empty={<Box textAlign="center">No servers yet: they appear when their wave starts.</Box>}
    />
  );
}
