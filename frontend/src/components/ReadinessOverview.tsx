// The dashboard's readiness at a glance: how many plans are READY, AT_RISK and NOT_READY, and the
// plans that are not READY, each with a link to its page. Each plan's readiness is read once when
// the dashboard opens (and on Refresh), a few plans at a time, never all at once.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { mapLimit, planReadiness, problemsText, verdictCounts, VERDICTS, type PlanReadiness } from "../api/readiness";
import type { RecoveryPlan } from "../api/types";
import { useApi } from "../session";
import { formatTime } from "../time";
import { asApiError, useLoad } from "./hooks";
import { VerdictIndicator } from "./Readiness";

/** How many plans' readiness the dashboard asks for at a time. */
export const READINESS_CONCURRENCY = 3;

export interface PlanReadinessRow {
  planId: string;
  name: string;
  readiness: PlanReadiness | null;
  error: string | null;
}

/** Every plan's readiness, READINESS_CONCURRENCY at a time; a plan that could not be read keeps its error. */
export async function readinessOfPlans(
  read: (planId: string) => Promise<PlanReadiness>,
  plans: Pick<RecoveryPlan, "planId" | "name">[],
): Promise<PlanReadinessRow[]> {
  const results = await mapLimit(plans, READINESS_CONCURRENCY, (p) => read(p.planId));
  return plans.map((p, i) => {
    const r = results[i];
    return r.status === "fulfilled"
      ? { planId: p.planId, name: p.name, readiness: r.value, error: null }
      : { planId: p.planId, name: p.name, readiness: null, error: asApiError(r.reason).message };
  });
}

export function ReadinessOverview({ plans }: { plans: RecoveryPlan[] | null }) {
  const api = useApi();
  const key = (plans ?? []).map((p) => p.planId).join(",");
  const rows = useLoad(
    () => (plans ? readinessOfPlans((id) => planReadiness(api, id), plans) : Promise.resolve(null)),
    [key, plans === null],
  );
  const items = rows.data ?? [];
  const counts = verdictCounts(items.map((r) => r.readiness?.verdict));
  const attention = items.filter((r) => r.error !== null || r.readiness?.verdict !== "READY");
  const loading = plans === null || rows.loading;
  return (
    <Container
      data-testid="readiness-overview"
      header={
        <Header
          variant="h2"
          description="Whether a recovery of each plan would work now"
          actions={
            <Button iconName="refresh" data-testid="readiness-overview-refresh" loading={rows.loading} onClick={() => void rows.reload()}>
              Check now
            </Button>
          }
        >
          Readiness
        </Header>
      }
    >
      <SpaceBetween size="m">
        {rows.error && <Alert type="error">{rows.error.message}</Alert>}
        <ColumnLayout columns={3} variant="text-grid">
          {VERDICTS.map((v) => (
            <div key={v}>
              <VerdictIndicator verdict={v} />
              <Box variant="awsui-value-large">
                <span data-testid={`readiness-count-${v}`}>{loading ? "…" : counts[v]}</span>
              </Box>
            </div>
          ))}
        </ColumnLayout>
        <Table<PlanReadinessRow>
          data-testid="readiness-attention"
          variant="borderless"
          ariaLabels={{ tableLabel: "Plans that are not ready" }}
          header={<Header variant="h3">Plans that are not ready</Header>}
          items={attention}
          loading={loading}
          loadingText="Checking the plans' readiness"
          trackBy="planId"
          wrapLines
          columnDefinitions={[
            { id: "plan", header: "Plan", cell: (r) => <Link href={`#/recovery-plans/${r.planId}`}>{r.name}</Link>, width: 260 },
            {
              id: "verdict",
              header: "Verdict",
              width: 160,
              cell: (r) => (r.readiness ? <VerdictIndicator verdict={r.readiness.verdict} /> : "Could not be checked"),
            },
            {
              id: "problems",
              header: "What did not pass",
              cell: (r) => r.error ?? problemsText(r.readiness?.checks ?? []),
            },
            { id: "checked", header: "Checked", cell: (r) => formatTime(r.readiness?.checkedAt), width: 220 },
          ]}
          empty={
            <Box textAlign="center" color="text-body-secondary">
              {items.length ? "Every plan is ready." : "No recovery plan to check."}
            </Box>
          }
        />
      </SpaceBetween>
    </Container>
  );
}
