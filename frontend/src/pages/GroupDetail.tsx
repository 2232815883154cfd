// A protection group's page: its servers as DRS reports them now (replication state and lag), the
// plans that use it, and its recent executions.
import { useState } from "react";
import { useParams } from "react-router-dom";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { groupServers, groupUsage, serverLabel, type GroupServer } from "../api/pages";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useBreadcrumbs } from "../components/shell";
import { useApi, useSession } from "../session";
import { formatDuration } from "../status";
import { executionColumns } from "./Executions";
import { selectionText } from "./Groups";
import { lastDrilledOf, LastDrilled, NeverDrilledToggle, withLastDrill } from "../components/LastDrilled";
import { LaunchDrift } from "./LaunchSettings";

/** Replication as an indicator: healthy states in green, the initial sync in progress, the rest an error. */
export function ReplicationIndicator({ server }: { server: GroupServer }) {
  if (!server.found) return <StatusIndicator type="error">Not found in DRS</StatusIndicator>;
  const state = server.replicationState ?? "UNKNOWN";
  const text = state.replace(/_/g, " ");
  if (server.replicationHealthy) return <StatusIndicator type="success">{text}</StatusIndicator>;
  if (state === "INITIAL_SYNC" || state === "INITIATING" || state === "RESCAN")
    return <StatusIndicator type="in-progress">{text}</StatusIndicator>;
  return <StatusIndicator type="error">{text}</StatusIndicator>;
}

/** The lag DRS reports, as a duration ("0 s" when in sync); "-" when DRS gives none. */
export function lagText(server: GroupServer): string {
  return server.lagSeconds === null || server.lagSeconds === undefined ? "-" : formatDuration(server.lagSeconds);
}

export function GroupDetailPage() {
  const { groupId = "" } = useParams();
  const api = useApi();
  const { can } = useSession();
  const group = useLoad(() => api.group(groupId), [groupId]);
  const servers = useLoad(() => groupServers(api, groupId), [groupId]);
  const usage = useLoad(() => groupUsage(api, groupId, 10), [groupId]);
  const drilled = useLoad(() => lastDrilledOf(api), [groupId]);
  const [neverDrilledOnly, setNeverDrilledOnly] = useState(false);
  // Replication moves on its own: the servers refresh while the page is open.
  useInterval(() => void servers.reload(), REFRESH_MS * 5, !servers.error);
  useBreadcrumbs([
    { text: "Protection groups", href: "#/protection-groups" },
    { text: group.data?.name ?? groupId, href: `#/protection-groups/${groupId}` },
  ]);
  if (group.error) {
    return (
      <Alert type="error" header="Cannot show the protection group">
        {group.error.message}
      </Alert>
    );
  }
  if (!group.data) return <Spinner size="large" />;
  const g = group.data;
  const items = servers.data?.items ?? [];
  const rows = withLastDrill(items, drilled.data, neverDrilledOnly);
  const unhealthy = items.filter((s) => !s.replicationHealthy).length;
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={g.description || undefined}
        actions={
          can.administer && (
            <Button href={`#/protection-groups/${g.groupId}/edit`} data-testid="edit-group">
              Edit
            </Button>
          )
        }
      >
        <span data-testid="group-name">{g.name}</span>
      </Header>
      <Container header={<Header variant="h2">Details</Header>}>
        <ColumnLayout columns={3} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">Servers</Box>
            <div>{g.serverSelectionTags ? `Chosen by tags: ${selectionText(g)}` : selectionText(g)}</div>
          </div>
          <div>
            <Box variant="awsui-key-label">Replication</Box>
            <div data-testid="group-replication">
              {servers.data ? (
                unhealthy ? (
                  <StatusIndicator type="warning">
                    {unhealthy} of {items.length} not healthy: a drill would fail its pre-flight check
                  </StatusIndicator>
                ) : (
                  <StatusIndicator type="success">All {items.length} healthy</StatusIndicator>
                )
              ) : (
                <Spinner />
              )}
            </div>
          </div>
          <div>
            <Box variant="awsui-key-label">Id</Box>
            <div>{g.groupId}</div>
          </div>
        </ColumnLayout>
      </Container>
      {servers.error && <Alert type="error">{servers.error.message}</Alert>}
      <Table
        data-testid="group-servers"
        wrapLines
        items={rows}
        loading={servers.loading}
        loadingText="Asking DRS for the servers"
        trackBy="sourceServerId"
        header={
          <Header variant="h2" counter={servers.data ? `(${items.length})` : undefined} description="As DRS reports them now">
            Servers
          </Header>
        }
        columnDefinitions={[
          { id: "server", header: "Server", cell: (s) => serverLabel(s) },
          { id: "impact", header: "Impact", cell: (s) => s.impactLevel },
          { id: "replication", header: "Replication", cell: (s) => <ReplicationIndicator server={s} /> },
          { id: "lag", header: "Lag", cell: (s) => <span data-testid="lag">{lagText(s)}</span> },
          { id: "launch", header: "Last launch", cell: (s) => s.lastLaunchResult ?? "-" },
          { id: "drilled", header: "Last drilled", cell: (s) => <LastDrilled drill={s.lastDrill} loaded={drilled.data !== null} /> },
        ]}
        filter={<NeverDrilledToggle checked={neverDrilledOnly} onChange={setNeverDrilledOnly} />}
        empty={
          <Box textAlign="center">
            {neverDrilledOnly && items.length ? "Every server of this group has been drilled." : "DRS reports no server for this group."}
          </Box>
        }
      />
      {g.launchSettings && <LaunchDrift api={api} groupId={g.groupId} canApply={can.administer} />}
      {usage.error && <Alert type="error">{usage.error.message}</Alert>}
      <Table
        data-testid="group-plans"
        items={usage.data?.plans ?? []}
        loading={usage.loading}
        loadingText="Loading the plans"
        trackBy="planId"
        header={
          <Header variant="h2" counter={usage.data ? `(${usage.data.plans.length})` : undefined}>
            Recovery plans that use it
          </Header>
        }
        columnDefinitions={[
          { id: "name", header: "Plan", cell: (p) => <Link href={`#/recovery-plans/${p.planId}`}>{p.name}</Link> },
          {
            id: "waves",
            header: "In wave",
            cell: (p) => p.waves.map((w) => `${w.waveNumber} (${w.waveName})`).join(", "),
          },
        ]}
        empty={<Box textAlign="center">No recovery plan uses this group.</Box>}
      />
      <Table
        data-testid="group-executions"
        items={usage.data?.executions ?? []}
        loading={usage.loading}
        loadingText="Loading the executions"
        trackBy="executionId"
        header={
          <Header variant="h2" description="The newest executions of the plans above that recovered this group">
            Recent executions
          </Header>
        }
        wrapLines
        columnDefinitions={executionColumns().filter((c) => ["id", "plan", "type", "status", "start"].includes(c.id))}
        empty={<Box textAlign="center">This group has not been recovered yet.</Box>}
      />
    </SpaceBetween>
  );
}
