import { useMemo, useState } from "react";
import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import Select, { type SelectProps } from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Alert from "@cloudscape-design/components/alert";
import type { ExecutionSummary } from "../api/types";
import { ExecutionStatusIndicator } from "../components/Status";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useTokenPages } from "../components/paging";
import { useBreadcrumbs } from "../components/shell";
import { useApi } from "../session";
import { EXECUTION_STATUSES, formatDuration, formatTime, humanize, isActive } from "../status";

const ALL: SelectProps.Option = { value: "", label: "Any" };

export function executionColumns(withPlan = true) {
  return [
    {
      id: "id",
      header: "Execution",
      cell: (e: ExecutionSummary) => <Link href={`#/executions/${e.executionId}`}>{e.executionId}</Link>,
    },
    ...(withPlan
      ? [
          {
            id: "plan",
            header: "Plan",
            cell: (e: ExecutionSummary) => <Link href={`#/recovery-plans/${e.planId}`}>{e.planName}</Link>,
            sortingField: "planName",
          },
        ]
      : []),
    { id: "type", header: "Type", cell: (e: ExecutionSummary) => e.executionType, sortingField: "executionType" },
    {
      id: "status",
      header: "Status",
      cell: (e: ExecutionSummary) => <ExecutionStatusIndicator status={e.status} label={e.statusLabel} />,
      sortingField: "status",
    },
    {
      id: "progress",
      header: "Servers ready",
      cell: (e: ExecutionSummary) => `${e.progress?.ready ?? 0} / ${e.progress?.totalServers ?? 0}`,
    },
    { id: "start", header: "Started", cell: (e: ExecutionSummary) => formatTime(e.startTime), sortingField: "startTime" },
    { id: "duration", header: "Duration", cell: (e: ExecutionSummary) => formatDuration(e.durationSeconds) },
  ];
}

export function ExecutionsPage() {
  const api = useApi();
  useBreadcrumbs([{ text: "Executions", href: "#/executions" }]);
  const plans = useLoad(() => api.plans(), []);
  const [plan, setPlan] = useState<SelectProps.Option>(ALL);
  const [status, setStatus] = useState<SelectProps.Option>(ALL);
  const [version, setVersion] = useState(0);
  const pages = useTokenPages(
    (token) => api.executions({ planId: plan.value, status: status.value, limit: 20, nextToken: token }),
    [plan.value, status.value],
    version,
  );
  const anyActive = pages.items.some((e) => isActive(e.status));
  useInterval(() => setVersion((v) => v + 1), REFRESH_MS * 2, anyActive);
  const { items, collectionProps } = useCollection(pages.items, { sorting: {} });
  const planOptions = useMemo(
    () => [ALL, ...(plans.data?.items ?? []).map((p) => ({ value: p.planId, label: p.name }))],
    [plans.data],
  );
  return (
    <SpaceBetween size="m">
      {pages.error && <Alert type="error">{pages.error.message}</Alert>}
      <Table
        {...collectionProps}
        data-testid="executions-table"
        variant="full-page"
        items={items}
        loading={pages.loading}
        loadingText="Loading executions"
        trackBy="executionId"
        header={
          <Header
            variant="awsui-h1-sticky"
            description="Drills and recoveries, newest first"
            actions={<Button iconName="refresh" ariaLabel="Refresh" onClick={() => void pages.refresh()} />}
          >
            Executions
          </Header>
        }
        filter={
          <SpaceBetween direction="horizontal" size="s">
            <Select
              selectedOption={plan}
              options={planOptions}
              onChange={({ detail }) => setPlan(detail.selectedOption)}
              inlineLabelText="Plan"
              data-testid="filter-plan"
            />
            <Select
              selectedOption={status}
              options={[ALL, ...EXECUTION_STATUSES.map((s) => ({ value: s, label: humanize(s) }))]}
              onChange={({ detail }) => setStatus(detail.selectedOption)}
              inlineLabelText="Status"
              data-testid="filter-status"
            />
          </SpaceBetween>
        }
        pagination={
          <Pagination
            currentPageIndex={pages.pageIndex}
            pagesCount={pages.pagesCount}
            openEnd={pages.openEnd}
            onChange={({ detail }) => pages.setPageIndex(detail.currentPageIndex)}
          />
        }
        columnDefinitions={executionColumns()}
        empty={<Box textAlign="center">No executions match. Start a drill from a recovery plan.</Box>}
      />
    </SpaceBetween>
  );
}
