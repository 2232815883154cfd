import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Cards from "@cloudscape-design/components/cards";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Alert from "@cloudscape-design/components/alert";
import { useEffect, useRef, useState } from "react";
import type { Api } from "../api/client";
import type { ExecutionSummary, RecoveryTime } from "../api/types";
import { RtoVerdictIndicator } from "../components/RecoveryTime";
import { ExecutionStatusIndicator } from "../components/Status";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useBreadcrumbs } from "../components/shell";
import { useApi } from "../session";
import { formatDuration, formatTime, isActive } from "../status";
import { executionColumns } from "./Executions";

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
function pick(ids: string[]) {
  const all = executionColumns();
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
  const { items: planItems, collectionProps } = useCollection(plans.data?.items ?? [], {
    sorting: { defaultState: { sortingColumn: { sortingField: "name" } } },
  });
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
        empty={<Box textAlign="center" color="text-body-secondary">No execution is running.</Box>}
      />
      <Table
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
        columnDefinitions={[
          ...pick(["id", "plan", "status"]),
          {
            id: "recovery",
            header: "Recovery time",
            cell: (e: ExecutionSummary) => {
              const r = recoveryTimes[e.executionId];
              if (r === undefined) return "…";
              return r?.seconds === null || r?.seconds === undefined ? "Not recovered" : formatDuration(r.seconds);
            },
          },
          {
            id: "verdict",
            header: "RTO",
            cell: (e: ExecutionSummary) =>
              recoveryTimes[e.executionId] === undefined ? (
                "…"
              ) : (
                <RtoVerdictIndicator recovery={recoveryTimes[e.executionId]} status={e.status} />
              ),
          },
          ...pick(["start"]),
        ]}
        empty={<Box textAlign="center">No finished executions yet.</Box>}
      />
      <Table
        {...collectionProps}
        variant="container"
        header={<Header variant="h2" counter={plans.data ? `(${plans.data.items.length})` : undefined}>Recovery plans</Header>}
        items={planItems}
        trackBy="planId"
        loading={plans.loading}
        columnDefinitions={[
          { id: "name", header: "Plan", cell: (p) => <Link href={`#/recovery-plans/${p.planId}`}>{p.name}</Link>, sortingField: "name" },
          { id: "waves", header: "Waves", cell: (p) => p.waves.length },
          {
            id: "last",
            header: "Last execution",
            cell: (p) => {
              const e = lastRun(p.planId);
              return e ? <ExecutionStatusIndicator status={e.status} label={`${e.executionType}: ${e.statusLabel}`} /> : "Never run";
            },
          },
          { id: "when", header: "Started", cell: (p) => formatTime(lastRun(p.planId)?.startTime) },
        ]}
        empty={<Box textAlign="center">No recovery plans yet.</Box>}
      />
    </SpaceBetween>
  );
}
