// "Instances still running": ended drills whose recovery instances still run, how long they have
// run, and their termination (the execution page's confirmation, on the same route).
import { useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { runningInstances, type RunningInstance } from "../api/pages";
import { ConfirmModal } from "../components/ConfirmModal";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { useApi, useSession } from "../session";
import { formatDuration, formatTime } from "../status";

export function RunningInstancesPage() {
  const api = useApi();
  const { can } = useSession();
  const notify = useNotify();
  useBreadcrumbs([{ text: "Instances still running", href: "#/running-instances" }]);
  const loaded = useLoad(() => runningInstances(api), []);
  // "How long" grows: the list is read again every few seconds (the API measures it, once).
  useInterval(() => void loaded.reload(), REFRESH_MS * 5, !loaded.error);
  const [selected, setSelected] = useState<RunningInstance[]>([]);
  const [confirming, setConfirming] = useState<RunningInstance | null>(null);
  const items = loaded.data?.items ?? [];
  const chosen = selected[0] && items.find((i) => i.executionId === selected[0].executionId);
  return (
    <SpaceBetween size="m">
      {loaded.error && <Alert type="error">{loaded.error.message}</Alert>}
      <Table
        data-testid="running-instances"
        variant="full-page"
        items={items}
        loading={loaded.loading}
        loadingText="Loading the drills whose instances still run"
        trackBy="executionId"
        selectionType={can.operate ? "single" : undefined}
        selectedItems={chosen ? [chosen] : []}
        onSelectionChange={({ detail }) => setSelected(detail.selectedItems)}
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={loaded.data ? `(${items.length})` : undefined}
            description="Ended drills whose recovery instances still run (and cost): terminate them when the drill's evidence is kept"
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh" onClick={() => void loaded.reload()} />
                {can.operate && (
                  <Button
                    disabled={!chosen || !chosen.canTerminate.canTerminate}
                    onClick={() => chosen && setConfirming(chosen)}
                    data-testid="terminate-selected"
                  >
                    Terminate instances
                  </Button>
                )}
              </SpaceBetween>
            }
          >
            Instances still running
          </Header>
        }
        wrapLines
        columnDefinitions={[
          {
            id: "drill",
            header: "Drill",
            cell: (i) => (
              <div>
                <Link href={`#/recovery-plans/${i.planId}`}>{i.planName}</Link>
                <Box variant="small" display="block">
                  <Link href={`#/executions/${i.executionId}`} variant="secondary">
                    {i.executionId}
                  </Link>
                </Box>
                <Box variant="small" display="block">
                  {i.status.replace(/_/g, " ")}, ended {formatTime(i.endTime)}
                </Box>
              </div>
            ),
          },
          {
            id: "running",
            header: "Running for",
            cell: (i) => (
              <div>
                <span data-testid="running-for">{formatDuration(i.runningSeconds)}</span>
                <Box variant="small" display="block">
                  since {formatTime(i.runningSince)}
                </Box>
              </div>
            ),
          },
          { id: "count", header: "Instances", cell: (i) => <span data-testid="instance-count">{i.instanceCount}</span> },
          {
            id: "servers",
            header: "Servers",
            cell: (i) => (
              <div>
                {i.servers.map((s) => (
                  <div key={s.sourceServerId} data-testid="running-server">
                    {s.label}
                    <Box variant="small" display="block">
                      {s.ec2InstanceId}
                    </Box>
                  </div>
                ))}
              </div>
            ),
          },
        ]}
        empty={<Box textAlign="center">No ended drill has instances still running.</Box>}
      />
      <ConfirmModal
        visible={confirming !== null}
        header="Terminate recovery instances"
        confirmLabel="Terminate"
        danger
        onDismiss={() => setConfirming(null)}
        onConfirm={async () => {
          if (!confirming) return;
          await api.terminate(confirming);
          notify("success", `Termination of the recovery instances of ${confirming.planName}'s drill started`);
          setConfirming(null);
          setSelected([]);
          await loaded.reload();
        }}
      >
        Every recovery instance the drill of {confirming?.planName} launched ({confirming?.instanceCount}) will be
        terminated.
      </ConfirmModal>
    </SpaceBetween>
  );
}
