// The plan page's readiness: would a recovery of the plan work now? The API's verdict with when it
// was checked, and every check it ran (GET /recovery-plans/{id}/readiness), checked again on request.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { useMemo } from "react";
import { serverLabel } from "../api/pages";
import { checkIndicator, checkName, checksInOrder, planReadiness, verdictIndicator, type ReadinessCheck, type ReadinessVerdict } from "../api/readiness";
import type { SourceServer } from "../api/types";
import { InfoLink } from "./help";
import { useLoad } from "./hooks";
import { LongText } from "./ResourceTable";
import { useApi } from "../session";
import { formatTime } from "../time";

/** A verdict as a StatusIndicator, with the verdict itself in data-verdict for scripts and tests. */
export function VerdictIndicator({ verdict, testId }: { verdict: ReadinessVerdict; testId?: string }) {
  const shown = verdictIndicator(verdict);
  return (
    <StatusIndicator type={shown.type} data-testid={testId} data-verdict={verdict}>
      {shown.text}
    </StatusIndicator>
  );
}

/** The server a check names, as everywhere: "hostname (id)"; "-" for a check about the whole plan. */
export function checkServer(check: ReadinessCheck, hostnames: Map<string, string | null | undefined>): string {
  if (!check.sourceServerId) return "-";
  return serverLabel({ sourceServerId: check.sourceServerId, hostname: hostnames.get(check.sourceServerId) });
}

export function PlanReadinessPanel({ planId, refreshKey = "" }: { planId: string; refreshKey?: string }) {
  const api = useApi();
  // Read again when refreshKey changes (an execution of the plan started or ended).
  const readiness = useLoad(() => planReadiness(api, planId), [planId, refreshKey]);
  // Hostnames for the servers checks name (DRS's list, read once, and only when a check names one).
  const namesServers = (readiness.data?.checks ?? []).some((c) => c.sourceServerId);
  const servers = useLoad(() => (namesServers ? api.sourceServers() : Promise.resolve(null)), [namesServers]);
  const hostnames = useMemo(
    () => new Map((servers.data?.items ?? []).map((s: SourceServer) => [s.sourceServerId, s.hostname])),
    [servers.data],
  );
  const r = readiness.data;
  const checks = r ? checksInOrder(r.checks) : [];
  return (
    <Container
      data-testid="plan-readiness"
      header={
        <Header
          variant="h2"
          description="Whether a recovery of this plan would work now: replication, recovery points, launch settings, DRS capacity and drills"
          info={<InfoLink topic="readiness" />}
          actions={
            <Button
              iconName="refresh"
              data-testid="readiness-refresh"
              loading={readiness.loading && r !== null}
              onClick={() => void readiness.reload()}
            >
              Check now
            </Button>
          }
        >
          Readiness
        </Header>
      }
    >
      <SpaceBetween size="m">
        {readiness.error && (
          <Alert type="error" header="Cannot check the plan's readiness" data-testid="readiness-error">
            {readiness.error.message}
          </Alert>
        )}
        {r && (
          <ColumnLayout columns={2} variant="text-grid">
            <div>
              <Box variant="awsui-key-label">Verdict</Box>
              <VerdictIndicator verdict={r.verdict} testId="readiness-verdict" />
            </div>
            <div>
              <Box variant="awsui-key-label">Checked</Box>
              <div data-testid="readiness-checked-at">{formatTime(r.checkedAt)}</div>
            </div>
          </ColumnLayout>
        )}
        <Table<ReadinessCheck>
          data-testid="readiness-checks"
          variant="borderless"
          ariaLabels={{ tableLabel: "Readiness checks" }}
          items={checks}
          loading={readiness.loading && !r}
          loadingText="Checking the plan's readiness"
          trackBy={(c) => `${c.check}#${c.sourceServerId ?? ""}#${c.message}`}
          wrapLines
          columnDefinitions={[
            { id: "check", header: "Check", cell: (c) => <span data-check={c.check}>{checkName(c.check)}</span>, width: 200 },
            {
              id: "status",
              header: "Status",
              width: 130,
              cell: (c) => {
                const shown = checkIndicator(c.status);
                return (
                  <StatusIndicator type={shown.type} data-status={c.status}>
                    {shown.text}
                  </StatusIndicator>
                );
              },
            },
            { id: "message", header: "Message", cell: (c) => c.message },
            { id: "server", header: "Server", cell: (c) => <LongText text={checkServer(c, hostnames)} />, width: 300 },
          ]}
          empty={<Box textAlign="center">{readiness.error ? "No checks: the readiness could not be read." : "No checks."}</Box>}
        />
      </SpaceBetween>
    </Container>
  );
}
