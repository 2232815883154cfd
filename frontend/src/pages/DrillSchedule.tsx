// A plan's drill schedule: its editor (on the plan's edit page) and its state with the recent runs
// (on the plan's page). The API checks the expression and the timezone and names the field it refuses.
import Box from "@cloudscape-design/components/box";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import type { DrillSchedule, ScheduledDrillRun } from "../api/types";
import { useLoad } from "../components/hooks";
import { formatTime } from "../status";
import { useApi } from "../session";

export interface ScheduleDraft {
  expression: string;
  timezone: string;
  enabled: boolean;
}

/** The request fields of a drill schedule, as the API names them in its errors. */
export const SCHEDULE_FIELDS = ["drillSchedule", "drillSchedule.expression", "drillSchedule.timezone", "drillSchedule.enabled"];

export function toScheduleDraft(schedule?: DrillSchedule | null): ScheduleDraft {
  return {
    expression: schedule?.expression ?? "",
    timezone: schedule?.timezone ?? "UTC",
    enabled: schedule?.enabled ?? true,
  };
}

/** The plan's drillSchedule, or undefined (no schedule) when no expression is given. */
export function fromScheduleDraft(draft: ScheduleDraft): DrillSchedule | undefined {
  const expression = draft.expression.trim();
  if (!expression) return undefined;
  return { expression, timezone: draft.timezone.trim() || "UTC", enabled: draft.enabled };
}

export function DrillScheduleEditor(props: {
  draft: ScheduleDraft;
  onChange: (draft: ScheduleDraft) => void;
  err: (field: string) => string | undefined;
  clear: (...fields: string[]) => void;
}) {
  const { draft, onChange, err, clear } = props;
  const set = (change: Partial<ScheduleDraft>) => {
    onChange({ ...draft, ...change });
    clear("drillSchedule", ...Object.keys(change).map((k) => `drillSchedule.${k}`));
  };
  return (
    <Container
      data-testid="drill-schedule-editor"
      header={
        <Header variant="h2" description="Start a drill of this plan on a schedule (EventBridge Scheduler); leave the expression empty for none">
          Drill schedule
        </Header>
      }
    >
      <ColumnLayout columns={3}>
        <FormField
          label="Schedule expression"
          errorText={err("drillSchedule.expression") ?? err("drillSchedule")}
          constraintText="rate(7 days) or cron(0 3 ? * SAT *): minutes hours day-of-month month day-of-week year"
          data-testid="field-schedule-expression"
        >
          <Input
            value={draft.expression}
            placeholder="cron(0 3 ? * SAT *)"
            onChange={({ detail }) => set({ expression: detail.value })}
            data-testid="schedule-expression"
          />
        </FormField>
        <FormField
          label="Timezone"
          errorText={err("drillSchedule.timezone")}
          constraintText="An IANA timezone, e.g. Europe/Berlin"
          data-testid="field-schedule-timezone"
        >
          <Input value={draft.timezone} onChange={({ detail }) => set({ timezone: detail.value })} data-testid="schedule-timezone" />
        </FormField>
        <FormField label="State" errorText={err("drillSchedule.enabled")}>
          <Checkbox checked={draft.enabled} onChange={({ detail }) => set({ enabled: detail.checked })} data-testid="schedule-enabled">
            Enabled
          </Checkbox>
        </FormField>
      </ColumnLayout>
    </Container>
  );
}

function RunOutcome({ run }: { run: ScheduledDrillRun }) {
  return run.outcome === "STARTED" ? (
    <StatusIndicator type="success">Started</StatusIndicator>
  ) : (
    <StatusIndicator type="warning">Skipped</StatusIndicator>
  );
}

/** The plan's schedule as Scheduler holds it, its next run and its recent runs (newest first). */
export function DrillScheduleRuns({ planId }: { planId: string }) {
  const api = useApi();
  const found = useLoad(() => api.drillSchedule(planId), [planId]);
  const view = found.data;
  const schedule = view?.drillSchedule;
  return (
    <Container
      data-testid="plan-drill-schedule"
      header={<Header variant="h2">Drill schedule</Header>}
    >
      <SpaceBetween size="m">
        {found.error && <StatusIndicator type="error">{found.error.message}</StatusIndicator>}
        {view && (
          <ColumnLayout columns={3} variant="text-grid">
            <div>
              <Box variant="awsui-key-label">Schedule</Box>
              <div data-testid="schedule-summary">
                {schedule ? `${schedule.expression} (${schedule.timezone})` : "None"}
              </div>
            </div>
            <div>
              <Box variant="awsui-key-label">State</Box>
              <div data-testid="schedule-state">
                {!view.inPlace ? (
                  <StatusIndicator type="error">Not in place: {view.problem}</StatusIndicator>
                ) : schedule ? (
                  schedule.enabled ? (
                    <StatusIndicator type="success">Enabled</StatusIndicator>
                  ) : (
                    <StatusIndicator type="stopped">Disabled</StatusIndicator>
                  )
                ) : (
                  <StatusIndicator type="info">No schedule</StatusIndicator>
                )}
              </div>
            </div>
            <div>
              <Box variant="awsui-key-label">Next run</Box>
              <div data-testid="schedule-next-run">{formatTime(view.nextRunTime)}</div>
            </div>
          </ColumnLayout>
        )}
        <Table<ScheduledDrillRun>
          data-testid="schedule-runs"
          variant="embedded"
          loading={found.loading}
          items={view?.runs ?? []}
          trackBy="scheduledTime"
          header={<Header variant="h3">Recent runs</Header>}
          empty={<Box textAlign="center">No scheduled run yet</Box>}
          columnDefinitions={[
            { id: "scheduled", header: "Scheduled time", cell: (r) => formatTime(r.scheduledTime) },
            { id: "outcome", header: "Outcome", cell: (r) => <RunOutcome run={r} /> },
            {
              id: "execution",
              header: "Execution",
              cell: (r) => (r.executionId ? <Link href={`#/executions/${r.executionId}`}>{r.executionId}</Link> : "-"),
            },
            { id: "reason", header: "Reason", cell: (r) => (r.reasonCode ? `${r.reasonCode}: ${r.reason ?? ""}` : "-") },
          ]}
        />
      </SpaceBetween>
    </Container>
  );
}
