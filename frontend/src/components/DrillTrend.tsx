// The plan page's evidence across drills (GET /recovery-plans/{id}/drill-history): the p50/p95 of
// the recovery time over the last drills against the drills before them, the trend as a chart, and
// every drill with its outcome, recovery time, paused time and RTO verdict. Every duration is the
// API's seconds formatted by formatDuration, as on the execution page.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import { lazy, Suspense } from "react";
import {
  drillHistory,
  TREND_LAST,
  trendIndicator,
  trendPoints,
  type DrillRow,
  type RecoveryTimeStats,
} from "../api/readiness";
import { useApi } from "../session";
import { formatDuration } from "../status";
import { formatTime } from "../time";
import { EmptyState } from "./EmptyState";
import { useLoad } from "./hooks";
import { RtoVerdictIndicator } from "./RecoveryTime";
import { ResourceTable, useStoredTablePrefs, type Column } from "./ResourceTable";
import { ExecutionStatusIndicator } from "./Status";

const DrillTrendChart = lazy(() => import("./DrillTrendChart"));

/** "p50 4 min 10 s · p95 5 min 2 s (3 drills)", or why there is none. */
export function statsText(stats: RecoveryTimeStats): string {
  if (!stats.drills || stats.p50Seconds === null || stats.p95Seconds === null) return "No measured drill";
  return `p50 ${formatDuration(stats.p50Seconds)} · p95 ${formatDuration(stats.p95Seconds)} (${stats.drills} ${
    stats.drills === 1 ? "drill" : "drills"
  })`;
}

const DRILL_COLUMNS: Column<DrillRow>[] = [
  {
    id: "id",
    header: "Drill",
    cell: (d) => <Link href={`#/executions/${d.executionId}`}>{d.executionId}</Link>,
    alwaysVisible: true,
    width: 300,
  },
  { id: "status", header: "Outcome", cell: (d) => <ExecutionStatusIndicator status={d.status} label={d.statusLabel} />, width: 260 },
  { id: "start", header: "Started", cell: (d) => formatTime(d.startTime), width: 220 },
  { id: "end", header: "Ended", cell: (d) => formatTime(d.endTime), width: 220 },
  {
    id: "recovery",
    header: "Recovery time",
    width: 150,
    cell: (d) => (
      <span data-testid="drill-recovery-time">
        {d.recoveryTime.seconds === null || d.recoveryTime.seconds === undefined
          ? "Not recovered"
          : formatDuration(d.recoveryTime.seconds)}
      </span>
    ),
  },
  {
    id: "paused",
    header: "Paused (apart)",
    width: 140,
    cell: (d) => <span data-testid="drill-paused">{formatDuration(d.pausedSeconds)}</span>,
  },
  { id: "verdict", header: "RTO", cell: (d) => <RtoVerdictIndicator recovery={d.recoveryTime} status={d.status} />, width: 200 },
];

function KeyValue({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <div data-testid={testId}>{children}</div>
    </div>
  );
}

export function DrillTrendPanel({
  planId,
  rtoTargetMinutes,
  refreshKey = "",
}: {
  planId: string;
  rtoTargetMinutes: number | null | undefined;
  /** Changes when an execution of the plan starts or ends: the history is read again. */
  refreshKey?: string;
}) {
  const api = useApi();
  const history = useLoad(() => drillHistory(api, planId, TREND_LAST), [planId, refreshKey]);
  const [prefs, setPrefs] = useStoredTablePrefs("plan-drill-history");
  const h = history.data;
  const trend = h ? trendIndicator(h.trend) : null;
  return (
    <SpaceBetween size="l">
      <Container
        data-testid="drill-trend"
        header={
          <Header
            variant="h2"
            description={`Recovery time of each completed drill; p50 and p95 of the last ${TREND_LAST} drills against the ${TREND_LAST} before them`}
          >
            Drill trend
          </Header>
        }
      >
        {history.error && (
          <Alert type="error" header="Cannot read the drill history">
            {history.error.message}
          </Alert>
        )}
        {!h && !history.error && <Spinner />}
        {h && trend && (
          <SpaceBetween size="m">
            <ColumnLayout columns={3} variant="text-grid">
              <KeyValue label={`Last ${h.last} drills`} testId="trend-recent">
                {statsText(h.recoveryTime)}
              </KeyValue>
              <KeyValue label={`The ${h.last} before`} testId="trend-previous">
                {statsText(h.previousRecoveryTime)}
              </KeyValue>
              <KeyValue label="Trend of the median" testId="trend">
                <StatusIndicator type={trend.type} data-trend={h.trend}>
                  {trend.text}
                </StatusIndicator>
              </KeyValue>
            </ColumnLayout>
            <Suspense fallback={<Spinner />}>
              <DrillTrendChart
                points={trendPoints(h)}
                targetSeconds={rtoTargetMinutes ? rtoTargetMinutes * 60 : null}
                p50Seconds={h.recoveryTime.p50Seconds}
                p95Seconds={h.recoveryTime.p95Seconds}
                last={h.last}
              />
            </Suspense>
          </SpaceBetween>
        )}
      </Container>
      <ResourceTable<DrillRow>
        variant="container"
        data-testid="drill-history"
        header={
          <Header variant="h2" counter={h ? `(${h.drills.length})` : undefined} description="Every drill of the plan, newest first">
            Drill history
          </Header>
        }
        items={h?.drills ?? []}
        loading={history.loading && !h}
        loadingText="Loading the drill history"
        trackBy="executionId"
        columns={DRILL_COLUMNS}
        prefs={prefs}
        onPrefsChange={setPrefs}
        empty={<EmptyState title="No drill yet" subtitle="Each drill of this plan appears here with its recovery time." />}
      />
    </SpaceBetween>
  );
}
