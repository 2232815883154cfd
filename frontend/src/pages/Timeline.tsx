import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import type { TableProps } from "@cloudscape-design/components/table";
import type { TimelineEntry, TimelineEvent } from "../api/types";
import { compareEvents, eventKeyOf, WATCH_PAGE_LIMIT } from "../api/watch";
import { WatchedTable } from "../components/WatchedTable";
import { LongText, type Column } from "../components/ResourceTable";
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

/** The text a timeline search looks in: type, message, actor, server and details. */
export function eventSearchText(event: TimelineEvent): string {
  return [event.type, event.message, event.actor ?? "", event.sourceServerId ?? "", detailsText(event.details)].join(" ");
}

const COLUMNS: Column<TimelineEntry>[] = [
  { id: "time", header: "Time", cell: (e) => formatTime(e.time), width: 210, alwaysVisible: true },
  { id: "type", header: "Type", cell: (e) => <Box variant="code">{e.type}</Box>, width: 230 },
  { id: "message", header: "What happened", cell: (e) => <LongText text={e.message} />, width: 420 },
  { id: "details", header: "Details", cell: (e) => <LongText text={detailsText(e.details)} />, width: 300 },
  { id: "wave", header: "Wave", cell: (e) => e.waveNumber ?? "-", width: 90 },
  // An IAM ARN has no space to wrap at: one line, cut with an ellipsis, the whole ARN on hover.
  { id: "actor", header: "Actor", cell: (e) => <LongText text={e.actor} />, width: 280 },
];

/**
 * What happened to an execution, oldest first (GET /executions/{id}/timeline): read whole once, then
 * at each refresh (`version`, bumped by the detail page while the execution is active) only the
 * events written since the last read, merged in by id (api/watch.ts); the filter searches it all.
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
  return (
    <WatchedTable<TimelineEntry>
      tableId="timeline"
      testId="timeline-table"
      variant={variant}
      columns={COLUMNS}
      load={(since, token) => api.timeline(executionId, { limit: WATCH_PAGE_LIMIT, nextToken: token, since })}
      keyOf={eventKeyOf}
      compare={compareEvents}
      reset={[executionId]}
      version={version}
      pageSize={TIMELINE_PAGE_SIZE}
      searchText={eventSearchText}
      filteringPlaceholder="Find events in the whole timeline"
      header={
        <Header
          variant="h2"
          description="Oldest first: waves, DRS jobs, server phases and who started, paused, resumed or cancelled"
        >
          Timeline
        </Header>
      }
      loadingText="Loading the timeline"
      empty={<Box textAlign="center">Nothing has happened yet.</Box>}
    />
  );
}
