import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { ExecutionServer } from "../api/types";
import { useTokenPages } from "../components/paging";
import { useApi } from "../session";
import { errorText, formatDuration, formatTime, humanize, serverPhaseIndicator } from "../status";

const PAGE_SIZE = 50;

function launchType(server: ExecutionServer) {
  if (server.phase === "NOT_LAUNCHED") return "stopped" as const;
  if (server.ready) return "success" as const;
  if (server.launchStatus === "FAILED") return "error" as const;
  if (server.launchStatus === "TERMINATED") return "stopped" as const;
  if (server.launchStatus === "LAUNCHED") return "in-progress" as const;
  return "pending" as const;
}

/** The servers of an execution, a page of the API at a time (GET /executions/{id}/servers). */
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
  const pages = useTokenPages(
    (token) => api.executionServers(executionId, { limit: PAGE_SIZE, nextToken: token }),
    [executionId],
    version,
  );
  const { items, collectionProps, filterProps, filteredItemsCount } = useCollection(pages.items, {
    filtering: {
      empty: <Box textAlign="center">No servers yet: they appear when their wave starts.</Box>,
      noMatch: <Box textAlign="center">No server on this page matches.</Box>,
    },
    sorting: {},
  });
  return (
    <Table
      {...collectionProps}
      data-testid="server-table"
      variant={variant}
      header={
        <Header variant="h2" description="Enriched with EC2 data as the execution is polled">
          Servers
        </Header>
      }
      items={items}
      loading={pages.loading && pages.items.length === 0}
      loadingText="Loading servers"
      trackBy={(s) => `${s.waveNumber}#${s.sourceServerId}`}
      filter={
        <TextFilter
          {...filterProps}
          filteringPlaceholder="Find servers on this page"
          countText={`${filteredItemsCount ?? 0} matches`}
        />
      }
      pagination={
        <Pagination
          currentPageIndex={pages.pageIndex}
          pagesCount={pages.pagesCount}
          openEnd={pages.openEnd}
          onChange={({ detail }) => pages.setPageIndex(detail.currentPageIndex)}
        />
      }
      columnDefinitions={[
        { id: "wave", header: "Wave", cell: (s) => s.waveNumber ?? "-", sortingField: "waveNumber" },
        { id: "source", header: "Source server", cell: (s) => s.sourceServerId, sortingField: "sourceServerId" },
        { id: "hostname", header: "Hostname", cell: (s) => s.hostname ?? "-", sortingField: "hostname" },
        {
          id: "launch",
          header: "Launch status",
          cell: (s) => (
            <StatusIndicator type={launchType(s)}>
              {/* A server whose wave ended before DRS launched it is not "pending": it never launched. */}
              {s.phase === "NOT_LAUNCHED" ? "Not launched" : humanize(s.launchStatus ?? "PENDING")}
              {s.error ? `: ${errorText(s.error)}` : ""}
            </StatusIndicator>
          ),
        },
        {
          id: "phase",
          header: "Phase",
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
        { id: "instance", header: "Instance", cell: (s) => s.ec2InstanceId ?? "-" },
        {
          id: "state",
          header: "EC2 state",
          cell: (s) => <span data-testid="server-ec2-state">{s.ec2State ?? "-"}</span>,
        },
        { id: "ip", header: "Private IP", cell: (s) => s.privateIp ?? "-" },
        { id: "type", header: "Instance type", cell: (s) => s.instanceType ?? "-" },
        { id: "launched", header: "Launch time", cell: (s) => formatTime(s.launchTime) },
        {
          id: "recovery",
          header: "Recovery time",
          cell: (s) => formatDuration(s.recoveryTimeSeconds),
          sortingField: "recoveryTimeSeconds",
        },
        { id: "impact", header: "Impact", cell: (s) => humanize(s.impactLevel ?? "CRITICAL") },
        {
          id: "ready",
          header: "Ready",
          cell: (s) => <StatusIndicator type={s.ready ? "success" : "pending"}>{s.ready ? "Yes" : "No"}</StatusIndicator>,
        },
      ]}
      empty={<Box textAlign="center">No servers yet: they appear when their wave starts.</Box>}
    />
  );
}
