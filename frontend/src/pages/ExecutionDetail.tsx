import { useEffect, useRef, useState } from "react";
import { useParams } from "react-router-dom";
import Alert from "@cloudscape-design/components/alert";
import Badge from "@cloudscape-design/components/badge";
import ButtonDropdown, { type ButtonDropdownProps } from "@cloudscape-design/components/button-dropdown";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Tabs from "@cloudscape-design/components/tabs";
import type { Execution, Wave, WaveAction } from "../api/types";
import { CleanupBanner } from "../components/Cleanup";
import { ConfirmModal } from "../components/ConfirmModal";
import { serverLabel } from "../api/pages";
import { GanttPanel } from "../components/Gantt";
import { InfoLink } from "../components/help";
import { LongText, ResourceTable, useTablePreferences, type Column } from "../components/ResourceTable";
import { RecoveryTimePanel } from "../components/RecoveryTime";
import { CostPanel } from "../components/Cost";
import { ShareReportLink } from "../components/ReportLink";
import { downloadReportJson, openReport } from "../components/report";
import { ActionStatusIndicator, ExecutionStatusIndicator, WaveStatusIndicator } from "../components/Status";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { ServerTable } from "./ServerTable";
import { TimelineTable } from "./Timeline";
import { useApi, useSession } from "../session";
import {
  actionSentence,
  type ExecutionAction,
  afterSkipText,
  allowedActions,
  errorText,
  formatDuration,
  formatTime,
  isActive,
  pausedWaveText,
  pauseReasonText,
  secondsBetween,
  waveOfText,
} from "../status";

type Action = ExecutionAction;

function KeyValue({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <div>{children}</div>
    </div>
  );
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function percent(execution: Execution): number {
  const p = execution.progress ?? {};
  const total = p.totalServers ?? 0;
  return total ? Math.round(((p.ready ?? 0) * 100) / total) : 0;
}

/** An action's output: user-controlled text (at most 4 KB), as preformatted text that scrolls sideways rather than break a word. */
const OUTPUT_STYLE = {
  margin: 0,
  maxHeight: "20rem",
  maxWidth: "60rem",
  overflow: "auto",
  whiteSpace: "pre",
  fontFamily: "monospace",
} as const;

type ActionRow = WaveAction & { n: number };

function actionResult(a: WaveAction): string {
  return errorText(a.error) ?? (a.approvedBy ? `Approved by ${a.approvedBy}${a.comment ? `: ${a.comment}` : ""}` : "-");
}

const ACTION_COLUMNS: Column<ActionRow>[] = [
  { id: "name", header: "Name", cell: (a) => <LongText text={a.name} />, alwaysVisible: true, width: 220 },
  { id: "stage", header: "Stage", cell: (a) => (a.stage === "PRE" ? "Pre" : a.stage === "POST" ? "Post" : a.stage), width: 90 },
  { id: "type", header: "Type", cell: (a) => a.type, width: 170 },
  { id: "status", header: "Status", cell: (a) => <ActionStatusIndicator action={a} />, width: 200 },
  { id: "attempts", header: "Attempts", cell: (a) => `${a.attempts ?? 0}/${a.maxAttempts ?? 1}`, width: 110 },
  { id: "started", header: "Started", cell: (a) => formatTime(a.startTime), width: 210 },
  { id: "duration", header: "Duration", cell: (a) => formatDuration(secondsBetween(a.startTime, a.endTime)), width: 120 },
  { id: "result", header: "Error / approval", cell: (a) => <LongText text={actionResult(a)} />, width: 300 },
  {
    id: "output",
    header: "Output",
    width: 300,
    cell: (a) => (a.output ? <LongText text={a.output.split("\n")[0]} /> : "-"),
  },
];

/** A wave's runbook: its pre-actions, then its post-actions, as they ran; each action's whole output below. */
export function WaveActionsTable({ wave }: { wave: Wave }) {
  const actions = wave.actions ?? [];
  const [prefs, setPrefs] = useTablePreferences("wave-actions", ACTION_COLUMNS);
  return (
    <SpaceBetween size="xs">
      <ResourceTable<ActionRow>
        data-testid={`wave-${wave.waveNumber}-actions`}
        variant="embedded"
        header={<Header variant="h3" counter={`(${actions.length})`}>Actions</Header>}
        items={actions.map((a, n) => ({ ...a, n }))}
        trackBy="n"
        columns={ACTION_COLUMNS}
        prefs={prefs}
        onPrefsChange={setPrefs}
        ariaLabels={{ tableLabel: `Actions of wave ${wave.waveNumber}` }}
      />
      {actions
        .filter((a) => a.output)
        .map((a, n) => (
          <ExpandableSection key={n} headerText={`Output of ${a.name}`} variant="footer">
            <pre style={OUTPUT_STYLE} data-testid="action-output">
              {a.output}
            </pre>
          </ExpandableSection>
        ))}
    </SpaceBetween>
  );
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
          {serverLabel(s)}
          {s.impactLevel ? `, ${s.impactLevel}` : ""}: {errorText(s.error) ?? "failed"}
        </li>
      ))}
    </ul>
  );
  const describe = [
    wave.durationSeconds !== null && wave.durationSeconds !== undefined ? `Took ${formatDuration(wave.durationSeconds)}` : null,
    wave.pauseBeforeWave ? "The plan pauses before this wave" : null,
    wave.retries
      ? `Retried ${wave.retries} time${wave.retries === 1 ? "" : "s"}${wave.retriedBy ? `, last by ${wave.retriedBy}` : ""}`
      : null,
    wave.skippedBy ? `Skipped by ${wave.skippedBy}${wave.skipComment ? `: ${wave.skipComment}` : ""}` : null,
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
        {(wave.actions?.length ?? 0) > 0 && <WaveActionsTable wave={wave} />}
      </SpaceBetween>
    </Container>
  );
}

const PAUSE_HEADERS: Record<string, string> = {
  WAVE_FAILED: "Paused: a wave failed",
  APPROVAL: "Paused: waiting for approval",
};

/** Why the execution is PAUSED and what moves it on; for a failed wave, that wave's error. */
export function PauseBanner({ execution }: { execution: Execution }) {
  const text = pauseReasonText(execution);
  if (!text) return null;
  const reason = execution.pauseReason ?? "";
  const number = execution.pausedWave ?? execution.pausedBeforeWave;
  const wave = execution.waves.find((w) => w.waveNumber === number);
  const error = reason === "WAVE_FAILED" ? errorText(wave?.error) : null;
  return (
    <Alert
      type={reason === "WAVE_FAILED" ? "error" : "info"}
      header={PAUSE_HEADERS[reason] ?? "Paused"}
      data-testid="pause-reason"
    >
      {capitalize(text)}.
      {error && <Box data-testid="pause-wave-error">{error}</Box>}
    </Alert>
  );
}

/** The drill report: the HTML page in a new tab, or the JSON document saved. Every role may read it. */
export function ReportActions({ executionId, stored = false }: { executionId: string; stored?: boolean }) {
  const api = useApi();
  const notify = useNotify();
  const [busy, setBusy] = useState<"html" | "json" | null>(null);
  const run = (format: "html" | "json") => {
    setBusy(format);
    // openReport opens its tab before any await: it must run inside the click.
    const done =
      format === "html" ? openReport(api, executionId, window, stored) : downloadReportJson(api, executionId);
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
      {stored && <ShareReportLink api={api} executionId={executionId} onError={(m) => notify("error", m)} />}
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
  // A RECOVERY acts on production: terminating its instances, retrying or skipping its failed wave
  // are Administrators' routes (IAM refuses them to Operators).
  const mayTerminate = execution.executionType === "RECOVERY" ? can.administer : can.operate;
  const mayDecideWave = execution.executionType === "RECOVERY" ? can.administer : can.operate;
  if (!can.operate) return null;
  // Destructive actions (cancel, terminate) are never a button of their own, never the primary one.
  const menu: ButtonDropdownProps.Item[] = [
    {
      id: "action-cancel",
      text: "Cancel execution",
      disabled: !allowed.cancel,
      disabledReason: "Only a pending, running or paused execution can be cancelled",
    },
  ];
  if (mayTerminate)
    menu.push({
      id: "action-terminate",
      text: "Terminate recovery instances",
      disabled: !allowed.terminate,
      disabledReason: execution.canTerminate?.reason ?? "Nothing to terminate",
    });
  return (
    <SpaceBetween direction="horizontal" size="xs">
      <Button disabled={!allowed.pause} onClick={() => onAction("pause")} data-testid="action-pause">
        Pause
      </Button>
      {allowed.approve ? (
        <Button variant="primary" onClick={() => onAction("approve")} data-testid="action-approve">
          Approve
        </Button>
      ) : (
        <Button disabled={!allowed.resume} onClick={() => onAction("resume")} data-testid="action-resume">
          Resume
        </Button>
      )}
      {allowed.retry && mayDecideWave && (
        <Button variant="primary" onClick={() => onAction("retry")} data-testid="action-retry">
          Retry wave
        </Button>
      )}
      {allowed.skip && mayDecideWave && (
        <Button onClick={() => onAction("skip")} data-testid="action-skip">
          Skip wave
        </Button>
      )}
      <ButtonDropdown
        items={menu}
        data-testid="execution-actions"
        onItemClick={({ detail }) => onAction(detail.id === "action-terminate" ? "terminate" : "cancel")}
      >
        Actions
      </ButtonDropdown>
    </SpaceBetween>
  );
}

const CONFIRM: Record<
  Action,
  { header: string | ((e: Execution) => string); label: string; text: (e: Execution) => string; comment?: string }
> = {
  pause: {
    header: "Pause the execution",
    label: "Pause",
    text: () => "The execution pauses at the next wave boundary; waves already running go on.",
  },
  resume: {
    header: "Resume the execution",
    label: "Resume",
    text: (e) => pauseReasonText(e) ?? "The next wave starts.",
    comment: "Comment",
  },
  approve: {
    header: (e) => `Approve ${e.pausedAction ?? "the action"}`,
    label: "Approve",
    text: (e) =>
      `The execution waits for approval of ${e.pausedAction ?? "an action"} in ${pausedWaveText(e)}. Approving resumes it; your approval and comment are recorded.`,
    comment: "Comment",
  },
  retry: {
    header: (e) => `Retry ${pausedWaveText(e)}`,
    label: "Retry wave",
    text: (e) =>
      `${capitalize(pausedWaveText(e))} runs again: what failed in it (servers, actions) is attempted again, what succeeded stays done.` +
      (e.executionType === "RECOVERY" ? " This is a RECOVERY: its failed production servers are launched again." : ""),
    comment: "Comment",
  },
  skip: {
    header: (e) => `Skip ${pausedWaveText(e)}`,
    label: "Skip wave",
    text: (e) =>
      `${capitalize(pausedWaveText(e))} is left as it is and marked SKIPPED; ${afterSkipText(e)} The execution can then end PARTIAL SUCCESS or FAILED, never COMPLETED.` +
      (e.executionType === "RECOVERY" ? " This is a RECOVERY: production goes on without this wave's servers." : ""),
    comment: "Comment",
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
  const { can } = useSession();
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

  const act = async (action: Action, typed: string, comment: string) => {
    const id = execution.executionId;
    const calls: Record<Action, () => Promise<Execution>> = {
      pause: () => api.pause(id),
      resume: () => api.resume(id, comment),
      approve: () => api.resume(id, comment),
      retry: () => api.retry(execution, comment, typed),
      skip: () => api.skip(execution, comment, typed),
      cancel: () => api.cancel(id),
      terminate: () => api.terminate(execution, typed),
    };
    const result = await calls[action]();
    setPending(null);
    notify("success", actionSentence(action, execution, result));
    await loaded.reload();
    setServersVersion((v) => v + 1);
  };

  const waveOf = waveOfText(execution);
  const confirm = pending ? CONFIRM[pending] : null;
  const typeToConfirm =
    (pending === "terminate" || pending === "retry" || pending === "skip") && execution.executionType === "RECOVERY"
      ? execution.planName
      : undefined;

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        info={<InfoLink topic="execution" />}
        description={
          <>
            {execution.executionType === "RECOVERY" ? <Badge color="red">RECOVERY</Badge> : <Badge>DRILL</Badge>} of{" "}
            <Link href={`#/recovery-plans/${execution.planId}`}>{execution.planName}</Link>, execution{" "}
            <span data-testid="execution-id">{execution.executionId}</span>
          </>
        }
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <ReportActions executionId={execution.executionId} stored={Boolean(execution.reportLocation)} />
            <ExecutionActions execution={execution} onAction={setPending} />
          </SpaceBetween>
        }
      >
        {execution.executionType === "RECOVERY" ? "Recovery" : "Drill"} of {execution.planName}
      </Header>
      {loaded.error && (
        <Alert type="warning" header="Refresh failed">
          {loaded.error.message}
        </Alert>
      )}
      <Container header={<Header variant="h2">Status</Header>} data-testid="execution-card">
        <SpaceBetween size="l">
          <KeyValue label="Status">
            <span data-testid="execution-status">
              <ExecutionStatusIndicator status={execution.status} label={execution.statusLabel} />
            </span>
          </KeyValue>
          <ColumnLayout columns={4} variant="text-grid">
            <KeyValue label="Current wave">
              <span data-testid="wave-of">{waveOf ?? "-"}</span>
            </KeyValue>
            <KeyValue label="Waves completed">
              {execution.completedWaves ?? 0} of {execution.totalWaves ?? execution.waves.length}
            </KeyValue>
            <KeyValue label="Duration">
              {formatDuration(execution.durationSeconds ?? execution.elapsedSeconds)}
            </KeyValue>
            <KeyValue label="Started">
              <span data-testid="execution-started">{formatTime(execution.startTime)}</span>
            </KeyValue>
            <KeyValue label="Ended">{formatTime(execution.endTime)}</KeyValue>
            <KeyValue label="Last polled">{formatTime(execution.lastPolledTime)}</KeyValue>
            <KeyValue label="Started by">
              <span data-testid="started-by">{execution.initiatedBy ?? "-"}</span>
            </KeyValue>
            {execution.cancelRequestedBy && <KeyValue label="Cancelled by">{execution.cancelRequestedBy}</KeyValue>}
            {execution.terminationRequestedBy && (
              <KeyValue label="Terminated by">
                <span data-testid="terminated-by">{execution.terminationRequestedBy}</span>
              </KeyValue>
            )}
          </ColumnLayout>
          {isActive(execution.status) && (
            <ProgressBar
              value={percent(execution)}
              label="Servers ready"
              additionalInfo={`${execution.progress?.ready ?? 0} of ${execution.progress?.totalServers ?? 0} servers ready`}
            />
          )}
          <PauseBanner execution={execution} />
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
          <CleanupBanner
            execution={execution}
            mayPostpone={can.operate}
            onPostpone={async (hours) => {
              const moved = await api.postponeCleanup(execution.executionId, hours);
              notify("success", `The automatic cleanup was postponed to ${formatTime(moved.cleanupAt)}`);
              await loaded.reload();
            }}
          />
          {errorText(execution.terminationError) && (
            <Alert type="error" header="Termination error">
              {errorText(execution.terminationError)}
            </Alert>
          )}
        </SpaceBetween>
      </Container>
      <RecoveryTimePanel execution={execution} />
      <CostPanel cost={execution.cost} />
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
            id: "chart",
            label: "Gantt chart",
            contentRenderStrategy: "lazy",
            content: <GanttPanel api={api} executionId={execution.executionId} version={serversVersion} />,
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
          header={typeof confirm.header === "string" ? confirm.header : confirm.header(execution)}
          confirmLabel={confirm.label}
          danger={pending === "terminate" || pending === "cancel" || pending === "skip"}
          commentLabel={confirm.comment}
          typeToConfirm={typeToConfirm}
          typeToConfirmLabel={typeToConfirm ? `Type the plan's name, ${typeToConfirm}, to confirm` : undefined}
          onConfirm={(typed, comment) => act(pending, typed, comment)}
          onDismiss={() => setPending(null)}
        >
          {confirm.text(execution)}
        </ConfirmModal>
      )}
    </SpaceBetween>
  );
}
