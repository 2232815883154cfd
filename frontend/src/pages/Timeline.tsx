import { useCollection } from "@cloudscape-design/collection-hooks";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { TimelineEvent } from "../api/types";
import { useTokenPages } from "../components/paging";
import { useApi } from "../session";
import { formatTime } from "../status";

export const TIMELINE_PAGE_SIZE = 100;

/** An event's details as one line of text ("jobId: drsjob-1, durationSeconds: 2"); never markup. */
export function detailsText(details: Record<string, unknown> | undefined): string {
  if (!details) return "";
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === "object" && value !== null ? JSON.stringify(value) : String(value)}`)
    .join(", ");
}

/**
 * What happened to an execution, oldest first (GET /executions/{id}/timeline), a page of the API at
 * a time in the API's order. `version` changes refresh the page shown (the detail page bumps it
 * while the execution is active), so new events appear and the pagination opens when a page fills.
 */
export function TimelineTable({
  executionId,
  version,
  variant = "container",
}: {
  executionId: string;
  version: number;
  variant?: TableProps.Variant;
}) {
  const api = useApi();
  const pages = useTokenPages(
    (token) => api.timeline(executionId, { limit: TIMELINE_PAGE_SIZE, nextToken: token }),
    [executionId],
    version,
  );
  const { items, collectionProps, filterProps, filteredItemsCount } = useCollection(pages.items, {
    filtering: {
      empty: <Box textAlign="center">Nothing has happened yet.</Box>,
      noMatch: <Box textAlign="center">No event on this page matches.</Box>,
      filteringFunction: (event, text) =>
        [event.type, event.message, event.actor ?? "", event.sourceServerId ?? "", detailsText(event.details)]
          .join(" ")
          .toLowerCase()
          .includes(text.toLowerCase()),
    },
  });
  return (
    <Table<TimelineEvent>
      {...collectionProps}
      data-testid="timeline-table"
      variant={variant}
      header={
        <Header
          variant="h2"
          description="Oldest first: waves, DRS jobs, server phases and who started, paused, resumed or cancelled"
        >
          Timeline
        </Header>
      }
      items={items}
      loading={pages.loading && pages.items.length === 0}
      loadingText="Loading the timeline"
      trackBy={(e) => `${e.time}#${e.type}#${e.sourceServerId ?? ""}#${e.waveNumber ?? ""}#${e.message}`}
      wrapLines
      filter={
        <TextFilter
          {...filterProps}
          filteringPlaceholder="Find events on this page"
          countText={`${filteredItemsCount ?? 0} matches`}
        />
      }
      pagination={
        <Pagination
          currentPageIndex={pages.pageIndex}
          pagesCount={pages.pagesCount}
          openEnd={pages.openEnd}
          onChange={({ detail }) => pages.setPageIndex(detail.currentPageIndex)}
        />
      }
      columnDefinitions={[
        { id: "time", header: "Time", cell: (e) => formatTime(e.time), width: 200 },
        { id: "type", header: "Type", cell: (e) => <Box variant="code">{e.type}</Box>, width: 200 },
        {
          id: "message",
          header: "What happened",
          cell: (e) => (
            <>
              {e.message}
              {e.details && (
                <Box variant="small" display="block" color="text-body-secondary">
                  {detailsText(e.details)}
                </Box>
              )}
            </>
          ),
        },
        { id: "wave", header: "Wave", cell: (e) => e.waveNumber ?? "-", width: 80 },
        {
          id: "actor",
          header: "Actor",
          // An IAM ARN has no space to wrap at: let it break anywhere rather than be cut off.
          cell: (e) => <span style={{ overflowWrap: "anywhere" }}>{e.actor ?? "-"}</span>,
          width: 260,
        },
      ]}
      empty={
        pages.error ? (
          <Alert type="error" header="Cannot show the timeline">
            {pages.error.message}
          </Alert>
        ) : (
          <Box textAlign="center">Nothing has happened yet.</Box>
        )
      }
    />
  );
}
