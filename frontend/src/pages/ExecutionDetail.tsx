import { useEffect, useRef, useState } from "react";
import { useParams } from "react-router-dom";
import Alert from "@cloudscape-design/components/alert";
import Badge from "@cloudscape-design/components/badge";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Tabs from "@cloudscape-design/components/tabs";
import type { Execution, Wave } from "../api/types";
import { ConfirmModal } from "../components/ConfirmModal";
import { RecoveryTimePanel } from "../components/RecoveryTime";
import { downloadReportJson, openReport } from "../components/report";
import { ExecutionStatusIndicator, WaveStatusIndicator } from "../components/Status";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { ServerTable } from "./ServerTable";
import { TimelineTable } from "./Timeline";
import { useApi, useSession } from "../session";
import {
  allowedActions,
  errorText,
  formatDuration,
  formatTime,
  isActive,
  pauseReasonText,
  waveOfText,
} from "../status";

type Action = "pause" | "resume" | "cancel" | "terminate";

function KeyValue({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <div>{children}</div>
    </div>
  );
}

function percent(execution: Execution): number {
  const p = execution.progress ?? {};
  const total = p.totalServers ?? 0;
  return total ? Math.round(((p.ready ?? 0) * 100) / total) : 0;
}

export function WaveCard({ wave }: { wave: Wave }) {
  const p = wave.progress ?? {};
  const total = p.totalServers ?? wave.serverCount ?? 0;
  const error = errorText(wave.error);
  const warnings = (wave.warnings ?? []).map((w) => errorText(w) ?? "");
  const failed = wave.failedServers ?? [];
  const failedList = failed.length > 0 && (
    <ul data-testid={`wave-${wave.waveNumber}-failed-servers`}>
      {failed.map((s) => (
        <li key={s.sourceServerId}>
          {s.hostname ? `${s.hostname} (${s.sourceServerId})` : s.sourceServerId}
          {s.impactLevel ? `, ${s.impactLevel}` : ""}: {errorText(s.error) ?? "failed"}
        </li>
      ))}
    </ul>
  );
  const describe = [
    wave.durationSeconds !== null && wave.durationSeconds !== undefined ? `Took ${formatDuration(wave.durationSeconds)}` : null,
    wave.pauseBeforeWave ? "The plan pauses before this wave" : null,
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <Container
      data-testid={`wave-${wave.waveNumber}`}
      header={
        <Header
          variant="h3"
          description={describe ? <span data-testid={`wave-${wave.waveNumber}-description`}>{describe}</span> : undefined}
          actions={<WaveStatusIndicator status={wave.status} phase={wave.phase} />}
        >
          Wave {wave.waveNumber}: {wave.waveName}
        </Header>
      }
    >
      <SpaceBetween size="s">
        <ColumnLayout columns={4} variant="text-grid">
          <KeyValue label="Servers">{total}</KeyValue>
          <KeyValue label="Launched">{p.launched ?? 0}</KeyValue>
          <KeyValue label="Ready">{p.ready ?? 0}</KeyValue>
          <KeyValue label="Failed">{p.failed ?? 0}</KeyValue>
        </ColumnLayout>
        {wave.status === "IN_PROGRESS" && total > 0 && (
          <ProgressBar
            value={Math.round(((p.ready ?? 0) * 100) / total)}
            label="Servers ready"
            additionalInfo={`${p.ready ?? 0} of ${total} ready, ${p.converting ?? 0} converting`}
          />
        )}
        {wave.queuedReason && <Alert type="info">Queued: {wave.queuedReason}</Alert>}
        {error && (
          <Alert type="error" header="Wave error" data-testid="wave-error">
            {error}
            {failedList}
          </Alert>
        )}
        {!error && failedList && (
          <Alert type="warning" header={`${failed.length} server${failed.length === 1 ? "" : "s"} failed`}>
            {failedList}
          </Alert>
        )}
        {warnings.length > 0 && (
          <Alert type="warning" header={`${warnings.length} warning${warnings.length === 1 ? "" : "s"}`}>
            <ul>
              {warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          </Alert>
        )}
      </SpaceBetween>
    </Container>
  );
}

/** The drill report: the HTML page in a new tab, or the JSON document saved. Every role may read it. */
export function ReportActions({ executionId }: { executionId: string }) {
  const api = useApi();
  const notify = useNotify();
  const [busy, setBusy] = useState<"html" | "json" | null>(null);
  const run = (format: "html" | "json") => {
    setBusy(format);
    // openReport opens its tab before any await: it must run inside the click.
    const done = format === "html" ? openReport(api, executionId) : downloadReportJson(api, executionId);
    done
      .catch((e: unknown) => notify("error", `The report could not be ${format === "html" ? "opened" : "downloaded"}: ${(e as Error).message}`))
      .finally(() => setBusy(null));
  };
  return (
    <SpaceBetween direction="horizontal" size="xs">
      <Button
        iconName="external"
        iconAlign="right"
        loading={busy === "html"}
        onClick={() => run("html")}
        data-testid="open-report"
      >
        Report
      </Button>
      <Button iconName="download" loading={busy === "json"} onClick={() => run("json")} data-testid="download-report">
        Download JSON
      </Button>
    </SpaceBetween>
  );
}

export function ExecutionActions({
  execution,
  onAction,
}: {
  execution: Execution;
  onAction: (action: Action) => void;
}) {
  const { can } = useSession();
  const allowed = allowedActions(execution);
  const mayTerminate = execution.executionType === "RECOVERY" ? can.administer : can.operate;
  if (!can.operate) return null;
  return (
    <SpaceBetween direction="horizontal" size="xs">
      <Button disabled={!allowed.pause} onClick={() => onAction("pause")} data-testid="action-pause">
        Pause
      </Button>
      <Button disabled={!allowed.resume} onClick={() => onAction("resume")} data-testid="action-resume">
        Resume
      </Button>
      <Button disabled={!allowed.cancel} onClick={() => onAction("cancel")} data-testid="action-cancel">
        Cancel
      </Button>
      {mayTerminate && (
        <Button
          disabled={!allowed.terminate}
          onClick={() => onAction("terminate")}
          data-testid="action-terminate"
          variant={allowed.terminate ? "primary" : "normal"}
        >
          Terminate recovery instances
        </Button>
      )}
    </SpaceBetween>
  );
}

const CONFIRM: Record<Action, { header: string; label: string; text: (e: Execution) => string }> = {
  pause: {
    header: "Pause the execution",
    label: "Pause",
    text: () => "The execution pauses at the next wave boundary; waves already running go on.",
  },
  resume: {
    header: "Resume the execution",
    label: "Resume",
    text: (e) => pauseReasonText(e) ?? "The next wave starts.",
  },
  cancel: {
    header: "Cancel the execution",
    label: "Cancel execution",
    text: () =>
      "Waves not started are cancelled. DRS jobs already running cannot be stopped: their wave is followed to the end and its instances can be terminated afterwards.",
  },
  terminate: {
    header: "Terminate recovery instances",
    label: "Terminate",
    text: (e) =>
      e.executionType === "RECOVERY"
        ? "This is a RECOVERY: its instances may be serving production. Every recovery instance it launched will be terminated."
        : "Every recovery instance this drill launched will be terminated.",
  },
};

export function ExecutionDetailPage() {
  const { executionId = "" } = useParams();
  const api = useApi();
  const notify = useNotify();
  const loaded = useLoad(() => api.execution(executionId), [executionId]);
  const [pending, setPending] = useState<Action | null>(null);
  const [serversVersion, setServersVersion] = useState(0);
  const [tab, setTab] = useState("servers");
  const execution = loaded.data;
  const live = execution ? isActive(execution.status) || execution.terminationStatus === "IN_PROGRESS" : true;
  useInterval(
    () => {
      void loaded.reload();
      setServersVersion((v) => v + 1);
    },
    REFRESH_MS,
    live && !loaded.error,
  );
  // When the execution ends, the tables refresh once more, and again a little later: the last
  // events (EXECUTION_FINISHED, REPORT_WRITTEN) are recorded as it ends.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) {
      setServersVersion((v) => v + 1);
      const timer = window.setTimeout(() => setServersVersion((v) => v + 1), REFRESH_MS * 2);
      wasLive.current = live;
      return () => window.clearTimeout(timer);
    }
    wasLive.current = live;
    return undefined;
  }, [live]);
  useBreadcrumbs([
    { text: "Executions", href: "#/executions" },
    { text: executionId, href: `#/executions/${executionId}` },
  ]);

  if (!execution) {
    if (loaded.error)
      return (
        <Alert type="error" header="Cannot show the execution">
          {loaded.error.message}
        </Alert>
      );
    return <Spinner size="large" />;
  }

  const act = async (action: Action, typed: string) => {
    const result =
      action === "pause"
        ? await api.pause(execution.executionId)
        : action === "resume"
          ? await api.resume(execution.executionId)
          : action === "cancel"
            ? await api.cancel(execution.executionId)
            : await api.terminate(execution, typed);
    setPending(null);
    notify(
      "success",
      action === "terminate"
        ? "Termination of the recovery instances started"
        : `${CONFIRM[action].label}: ${result.statusLabel ?? result.status}`,
    );
    await loaded.reload();
    setServersVersion((v) => v + 1);
  };

  const waveOf = waveOfText(execution);
  const pause = pauseReasonText(execution);
  const confirm = pending ? CONFIRM[pending] : null;
  const typeToConfirm =
    pending === "terminate" && execution.executionType === "RECOVERY" ? execution.planName : undefined;

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={
          <>
            {execution.executionType === "RECOVERY" ? <Badge color="red">RECOVERY</Badge> : <Badge>DRILL</Badge>}{" "}
            of <Link href={`#/recovery-plans/${execution.planId}`}>{execution.planName}</Link>
          </>
        }
        actions={
          <SpaceBetween direction="horizontal" size="m">
            <ReportActions executionId={execution.executionId} />
            <ExecutionActions execution={execution} onAction={setPending} />
          </SpaceBetween>
        }
      >
        Execution {execution.executionId}
      </Header>
      {loaded.error && (
        <Alert type="warning" header="Refresh failed">
          {loaded.error.message}
        </Alert>
      )}
      <Container header={<Header variant="h2">Status</Header>} data-testid="execution-card">
        <SpaceBetween size="l">
          <ColumnLayout columns={4} variant="text-grid">
            <KeyValue label="Status">
              <span data-testid="execution-status">
                <ExecutionStatusIndicator status={execution.status} label={execution.statusLabel} />
              </span>
            </KeyValue>
            <KeyValue label="Current wave">
              <span data-testid="wave-of">{waveOf ?? "-"}</span>
            </KeyValue>
            <KeyValue label="Waves completed">
              {execution.completedWaves ?? 0} of {execution.totalWaves ?? execution.waves.length}
            </KeyValue>
            <KeyValue label="Duration">
              {formatDuration(execution.durationSeconds ?? execution.elapsedSeconds)}
            </KeyValue>
            <KeyValue label="Started">{formatTime(execution.startTime)}</KeyValue>
            <KeyValue label="Ended">{formatTime(execution.endTime)}</KeyValue>
            <KeyValue label="Last polled">{formatTime(execution.lastPolledTime)}</KeyValue>
            <KeyValue label="Started by">{execution.initiatedBy ?? "-"}</KeyValue>
          </ColumnLayout>
          {isActive(execution.status) && (
            <ProgressBar
              value={percent(execution)}
              label="Servers ready"
              additionalInfo={`${execution.progress?.ready ?? 0} of ${execution.progress?.totalServers ?? 0} servers ready`}
            />
          )}
          {pause && (
            <Alert type="info" header="Paused" data-testid="pause-reason">
              {pause}
            </Alert>
          )}
          {execution.pauseRequested && execution.status !== "PAUSED" && (
            <Alert type="info">A pause was requested: the execution pauses before the next wave.</Alert>
          )}
          {errorText(execution.error) && (
            <Alert type="error" header="Execution error">
              {errorText(execution.error)}
            </Alert>
          )}
          <ColumnLayout columns={2} variant="text-grid">
            <KeyValue label="Recovery instances">
              <span data-testid="termination">
                {execution.instancesTerminated
                  ? "Terminated"
                  : execution.terminationStatus
                    ? `Termination ${execution.terminationStatus.replace(/_/g, " ").toLowerCase()}`
                    : execution.canTerminate.hasRecoveryInstances
                      ? "Running"
                      : "None"}
              </span>
            </KeyValue>
            <KeyValue label="Termination">
              {execution.canTerminate.canTerminate ? "Allowed" : (execution.canTerminate.reason ?? "Not allowed")}
            </KeyValue>
          </ColumnLayout>
          {errorText(execution.terminationError) && (
            <Alert type="error" header="Termination error">
              {errorText(execution.terminationError)}
            </Alert>
          )}
        </SpaceBetween>
      </Container>
      <RecoveryTimePanel execution={execution} />
      <SpaceBetween size="m">
        <Header variant="h2" counter={`(${execution.waves.length})`}>
          Waves
        </Header>
        {execution.waves.map((wave) => (
          <WaveCard key={wave.waveNumber} wave={wave} />
        ))}
      </SpaceBetween>
      <Tabs
        variant="container"
        activeTabId={tab}
        onChange={({ detail }) => setTab(detail.activeTabId)}
        tabs={[
          {
            id: "servers",
            label: "Servers",
            contentRenderStrategy: "lazy",
            content: <ServerTable executionId={execution.executionId} version={serversVersion} variant="borderless" />,
          },
          {
            id: "timeline",
            label: "Timeline",
            contentRenderStrategy: "lazy",
            content: <TimelineTable executionId={execution.executionId} version={serversVersion} variant="borderless" />,
          },
        ]}
      />
      {confirm && pending && (
        <ConfirmModal
          visible
          header={confirm.header}
          confirmLabel={confirm.label}
          danger={pending === "terminate" || pending === "cancel"}
          typeToConfirm={typeToConfirm}
          typeToConfirmLabel={typeToConfirm ? `Type the plan's name, ${typeToConfirm}, to confirm` : undefined}
          onConfirm={(typed) => act(pending, typed)}
          onDismiss={() => setPending(null)}
        >
          {confirm.text(execution)}
        </ConfirmModal>
      )}
    </SpaceBetween>
  );
}
