import { useCollection } from "@cloudscape-design/collection-hooks";
import Cards from "@cloudscape-design/components/cards";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Button from "@cloudscape-design/components/button";
import Alert from "@cloudscape-design/components/alert";
import { useEffect, useRef, useState } from "react";
import type { Api } from "../api/client";
import type { ExecutionSummary, RecoveryPlan, RecoveryTime } from "../api/types";
import { EmptyState } from "../components/EmptyState";
import { ResourceTable, useStoredTablePrefs, type Column } from "../components/ResourceTable";
import { RtoVerdictIndicator } from "../components/RecoveryTime";
import { ExecutionStatusIndicator } from "../components/Status";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useBreadcrumbs } from "../components/shell";
import { useApi, useSession } from "../session";
import { formatDuration, formatTime, isActive } from "../status";
import { executionColumns } from "./Executions";
import { ReadinessOverview } from "../components/ReadinessOverview";

function ready(e: ExecutionSummary): number {
  const total = e.progress?.totalServers ?? 0;
  return total ? Math.round(((e.progress?.ready ?? 0) * 100) / total) : 0;
}

/** The most recent outcomes the dashboard shows, each with its recovery time. */
export const RECENT_OUTCOMES = 10;

/**
 * The recovery time of each of these ended executions. GET /executions lists summaries without it,
 * so each execution's detail is fetched once (at most RECENT_OUTCOMES at a time): an ended
 * execution's recovery time never changes. `undefined`: not known (yet); `null`: the API gave none.
 */
export function useRecoveryTimes(api: Api, executionIds: string[]): Record<string, RecoveryTime | null> {
  const [times, setTimes] = useState<Record<string, RecoveryTime | null>>({});
  const asked = useRef(new Set<string>());
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const key = executionIds.slice(0, RECENT_OUTCOMES).join(",");
  useEffect(() => {
    const wanted = key ? key.split(",").filter((id) => !asked.current.has(id)) : [];
    wanted.forEach((id) => {
      asked.current.add(id);
      api.execution(id).then(
        (e) => {
          if (mounted.current) setTimes((current) => ({ ...current, [id]: e.recoveryTime ?? null }));
        },
        () => asked.current.delete(id), // asked again when the list changes
      );
    });
  }, [api, key]);
  return times;
}

/** Some of the executions list's columns, in the order given. */
function pick(ids: string[]): Column<ExecutionSummary>[] {
  const all = executionColumns<ExecutionSummary>();
  return ids.flatMap((id) => all.filter((c) => c.id === id));
}

export function DashboardPage() {
  const api = useApi();
  useBreadcrumbs([]);
  const recent = useLoad(() => api.executions({ limit: 50 }), []);
  const plans = useLoad(() => api.plans(), []);
  const items = recent.data?.items ?? [];
  const active = items.filter((e) => isActive(e.status));
  const finished = items.filter((e) => !isActive(e.status)).slice(0, RECENT_OUTCOMES);
  const recoveryTimes = useRecoveryTimes(
    api,
    finished.map((e) => e.executionId),
  );
  useInterval(() => void recent.reload(), REFRESH_MS * 2, true);
  const lastRun = (planId: string) => items.find((e) => e.planId === planId);
  const { can } = useSession();
  const [outcomePrefs, setOutcomePrefs] = useStoredTablePrefs("dashboard-outcomes");
  const [planPrefs, setPlanPrefs] = useStoredTablePrefs("dashboard-plans");
  const { items: planItems, collectionProps } = useCollection(plans.data?.items ?? [], {
    sorting: { defaultState: { sortingColumn: { sortingField: "name" } } },
  });
  const outcomeColumns: Column<ExecutionSummary>[] = [
    ...pick(["id", "plan", "status"]),
    {
      id: "recovery",
      header: "Recovery time",
      width: 150,
      cell: (e) => {
        const r = recoveryTimes[e.executionId];
        if (r === undefined) return "…";
        return r?.seconds === null || r?.seconds === undefined ? "Not recovered" : formatDuration(r.seconds);
      },
    },
    {
      id: "verdict",
      header: "RTO",
      width: 200,
      cell: (e) =>
        recoveryTimes[e.executionId] === undefined ? (
          "…"
        ) : (
          <RtoVerdictIndicator recovery={recoveryTimes[e.executionId]} status={e.status} />
        ),
    },
    ...pick(["start"]),
  ];
  const planColumns: Column<RecoveryPlan>[] = [
    {
      id: "name",
      header: "Plan",
      cell: (p) => <Link href={`#/recovery-plans/${p.planId}`}>{p.name}</Link>,
      sortingField: "name",
      alwaysVisible: true,
      width: 240,
    },
    { id: "waves", header: "Waves", cell: (p) => p.waves.length, width: 100 },
    {
      id: "last",
      header: "Last execution",
      width: 380,
      cell: (p) => {
        const e = lastRun(p.planId);
        return e ? <ExecutionStatusIndicator status={e.status} label={`${e.executionType}: ${e.statusLabel}`} /> : "Never run";
      },
    },
    { id: "when", header: "Started", cell: (p) => formatTime(lastRun(p.planId)?.startTime), width: 220 },
  ];
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="Disaster-recovery drills and recoveries on AWS Elastic Disaster Recovery">
        Dashboard
      </Header>
      {recent.error && <Alert type="error">{recent.error.message}</Alert>}
      <Cards
        data-testid="active-executions"
        header={<Header variant="h2" counter={`(${active.length})`}>Active executions</Header>}
        items={active}
        trackBy="executionId"
        loading={recent.loading}
        loadingText="Loading executions"
        cardDefinition={{
          header: (e) => <Link href={`#/executions/${e.executionId}`} fontSize="heading-m">{e.planName}</Link>,
          sections: [
            { id: "status", content: (e) => <ExecutionStatusIndicator status={e.status} label={e.statusLabel} /> },
            { id: "type", header: "Type", content: (e) => e.executionType },
            {
              id: "progress",
              content: (e) => (
                <ProgressBar value={ready(e)} label="Servers ready" additionalInfo={`${e.progress?.ready ?? 0} of ${e.progress?.totalServers ?? 0}`} />
              ),
            },
            { id: "started", header: "Started", content: (e) => formatTime(e.startTime) },
          ],
        }}
        empty={<EmptyState title="No execution is running" action={<Button href="#/recovery-plans">Start a drill from a plan</Button>} />}
      />
      <ResourceTable<ExecutionSummary>
        variant="container"
        data-testid="recent-outcomes"
        header={
          <Header variant="h2" description="The last executions that ended, with their recovery time against the plan's objective">
            Recent outcomes
          </Header>
        }
        items={finished}
        trackBy="executionId"
        loading={recent.loading}
        columns={outcomeColumns}
        prefs={outcomePrefs}
        onPrefsChange={setOutcomePrefs}
        empty={<EmptyState title="No finished executions yet" subtitle="Drills appear here when they end." />}
      />
      <ReadinessOverview plans={plans.data?.items ?? null} />
      <ResourceTable<RecoveryPlan>
        {...collectionProps}
        variant="container"
        header={<Header variant="h2" counter={plans.data ? `(${plans.data.items.length})` : undefined}>Recovery plans</Header>}
        items={planItems}
        trackBy="planId"
        loading={plans.loading}
        columns={planColumns}
        prefs={planPrefs}
        onPrefsChange={setPlanPrefs}
        empty={
          <EmptyState
            title="No recovery plans"
            action={can.administer ? <Button href="#/recovery-plans/new">Create recovery plan</Button> : undefined}
          />
        }
      />
    </SpaceBetween>
  );
}
