import { useEffect, useMemo, useRef, useState } from "react";
import { useCollection, type PropertyFilterQuery } from "@cloudscape-design/collection-hooks";
import Alert from "@cloudscape-design/components/alert";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import PropertyFilter from "@cloudscape-design/components/property-filter";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { ExecutionSummary } from "../api/types";
import { EmptyState, NoMatch } from "../components/EmptyState";
import { InfoLink } from "../components/help";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { loadAllPages } from "../components/PagedTable";
import { PAGE_SIZES, ResourceTable, useTablePreferences, type Column } from "../components/ResourceTable";
import { ExecutionStatusIndicator } from "../components/Status";
import { useBreadcrumbs } from "../components/shell";
import { useApi } from "../session";
import { formatDuration, formatTime, isActive } from "../status";
import {
  detailsOf,
  FILTERING_PROPERTIES,
  filteringOptions,
  needsDetails,
  type ExecutionDetails,
  type ExecutionRow,
} from "./executionFilter";

export function executionColumns<T extends ExecutionSummary>(withPlan = true): Column<T>[] {
  return [
    {
      id: "id",
      header: "Execution",
      cell: (e) => <Link href={`#/executions/${e.executionId}`}>{e.executionId}</Link>,
      alwaysVisible: true,
      width: 300,
    },
    ...(withPlan
      ? [
          {
            id: "plan",
            header: "Plan",
            cell: (e: T) => <Link href={`#/recovery-plans/${e.planId}`}>{e.planName}</Link>,
            sortingField: "planName",
            width: 170,
          },
        ]
      : []),
    { id: "type", header: "Type", cell: (e) => e.executionType, sortingField: "executionType", width: 100 },
    {
      id: "status",
      header: "Status",
      cell: (e) => <ExecutionStatusIndicator status={e.status} label={e.statusLabel} />,
      sortingField: "status",
      width: 260,
    },
    {
      id: "progress",
      header: "Servers ready",
      cell: (e) => `${e.progress?.ready ?? 0} / ${e.progress?.totalServers ?? 0}`,
      width: 140,
      hidden: true,
    },
    { id: "start", header: "Started", cell: (e) => formatTime(e.startTime), sortingField: "startTime", width: 220 },
    { id: "duration", header: "Duration", cell: (e) => formatDuration(e.durationSeconds), width: 130 },
  ];
}

const COLUMNS: Column<ExecutionRow>[] = [
  ...executionColumns<ExecutionRow>(),
  { id: "startedBy", header: "Started by", cell: (e) => e.startedBy ?? "…", hidden: true, width: 240 },
  { id: "stillRunning", header: "Instances still running", cell: (e) => e.stillRunning ?? "…", hidden: true, width: 200 },
];

const EMPTY_QUERY: PropertyFilterQuery = { tokens: [], operation: "and" };

export function ExecutionsPage() {
  const api = useApi();
  useBreadcrumbs([{ text: "Executions", href: "#/executions" }]);
  // Every execution, newest first (the API's order): the filter works on the whole list.
  const all = useLoad(() => loadAllPages((token) => api.executions({ limit: 100, nextToken: token })), []);
  const summaries = useMemo(() => all.data ?? [], [all.data]);
  const anyActive = summaries.some((e) => isActive(e.status));
  useInterval(() => void all.reload(), REFRESH_MS * 2, anyActive);
  const [query, setQuery] = useState<PropertyFilterQuery>(EMPTY_QUERY);
  const [prefs, setPrefs] = useTablePreferences("executions", COLUMNS);

  // Who started an execution and whether its instances still run are in the full execution only:
  // fetched when the filter or a shown column needs them (an ended execution's once).
  const [details, setDetails] = useState<Record<string, ExecutionDetails>>({});
  const fetched = useRef(new Map<string, string>());
  const shownDetail = prefs.columns.some((c) => c.visible && (c.id === "startedBy" || c.id === "stillRunning"));
  const wanted = needsDetails(query) || shownDetail;
  useEffect(() => {
    if (!wanted) return;
    const todo = summaries.filter((e) => {
      const seen = fetched.current.get(e.executionId);
      return seen === undefined || isActive(seen) || seen !== e.status;
    });
    let live = true;
    void (async () => {
      for (let i = 0; i < todo.length && live; i += 4) {
        const batch = await Promise.allSettled(todo.slice(i, i + 4).map((e) => api.execution(e.executionId)));
        const found: Record<string, ExecutionDetails> = {};
        batch.forEach((r) => {
          if (r.status === "fulfilled") {
            fetched.current.set(r.value.executionId, r.value.status);
            found[r.value.executionId] = detailsOf(r.value);
          }
        });
        if (live) setDetails((d) => ({ ...d, ...found }));
      }
    })();
    return () => {
      live = false;
    };
  }, [wanted, summaries, api]);

  const rows: ExecutionRow[] = useMemo(
    () => summaries.map((e) => ({ ...e, ...(details[e.executionId] ?? {}) })),
    [summaries, details],
  );
  const { items, actions, collectionProps, propertyFilterProps, paginationProps, filteredItemsCount } = useCollection(
    rows,
    {
      propertyFiltering: {
        filteringProperties: FILTERING_PROPERTIES,
        defaultQuery: EMPTY_QUERY,
        empty: (
          <EmptyState
            title="No executions"
            subtitle="Start a drill from a recovery plan's page."
            action={<Button href="#/recovery-plans">View recovery plans</Button>}
          />
        ),
        noMatch: <NoMatch what="execution" onClear={() => actions.setPropertyFiltering(EMPTY_QUERY)} />,
      },
      pagination: { pageSize: prefs.pageSize },
      sorting: {},
    },
  );
  // Keep the query where the effect above can read it.
  useEffect(() => setQuery(propertyFilterProps.query), [propertyFilterProps.query]);
  const options = useMemo(() => filteringOptions(rows), [rows]);
  const waitingForDetails = needsDetails(propertyFilterProps.query) && rows.some((r) => r.startedBy === undefined);

  return (
    <SpaceBetween size="m">
      {all.error && <Alert type="error">{all.error.message}</Alert>}
      <ResourceTable<ExecutionRow>
        {...collectionProps}
        data-testid="executions-table"
        variant="full-page"
        columns={COLUMNS}
        prefs={prefs}
        onPrefsChange={setPrefs}
        pageSizes={PAGE_SIZES}
        items={items}
        loading={all.loading || waitingForDetails}
        loadingText={waitingForDetails ? "Reading who started each execution" : "Loading executions"}
        trackBy="executionId"
        ariaLabels={{ tableLabel: "Executions" }}
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={all.data ? `(${all.data.length})` : undefined}
            description="Drills and recoveries, newest first"
            info={<InfoLink topic="execution" />}
            actions={<Button iconName="refresh" ariaLabel="Refresh" onClick={() => void all.reload()} />}
          >
            Executions
          </Header>
        }
        filter={
          <PropertyFilter
            {...propertyFilterProps}
            filteringOptions={options}
            filteringPlaceholder="Filter executions by plan, status, type, started by, start time or running instances"
            filteringAriaLabel="Filter executions"
            countText={`${filteredItemsCount ?? 0} matches`}
            expandToViewport
            data-testid="executions-filter"
          />
        }
        pagination={<Pagination {...paginationProps} />}
      />
    </SpaceBetween>
  );
}
