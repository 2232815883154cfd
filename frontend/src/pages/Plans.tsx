import { useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { useCollection } from "@cloudscape-design/collection-hooks";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import ButtonDropdown from "@cloudscape-design/components/button-dropdown";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { ExecutionSummary, PlanWave, RecoveryPlan } from "../api/types";
import { ConfirmModal } from "../components/ConfirmModal";
import { EmptyState, NoMatch } from "../components/EmptyState";
import { InfoLink } from "../components/help";
import {
  LongText,
  PAGE_SIZES,
  ResourceTable,
  useStoredTablePrefs,
  useTablePreferences,
  type Column,
} from "../components/ResourceTable";
import { REFRESH_MS, useInterval, useLoad } from "../components/hooks";
import { useBreadcrumbs, useNotify } from "../components/shell";
import { useApi, useSession } from "../session";
import { formatTarget, humanize, isActive } from "../status";
import { executionColumns } from "./Executions";
import { PlanReadinessPanel } from "../components/Readiness";
import { DrillTrendPanel } from "../components/DrillTrend";
import { DrillScheduleRuns } from "./DrillSchedule";

const PLAN_COLUMNS: Column<RecoveryPlan>[] = [
  {
    id: "name",
    header: "Name",
    cell: (p) => <Link href={`#/recovery-plans/${p.planId}`}>{p.name}</Link>,
    sortingField: "name",
    alwaysVisible: true,
    width: 240,
  },
  { id: "description", header: "Description", cell: (p) => <LongText text={p.description} />, width: 260 },
  { id: "waves", header: "Waves", cell: (p) => <LongText text={p.waves.map((w) => w.waveName).join(" → ")} />, width: 240 },
  {
    id: "readiness",
    header: "Readiness check",
    cell: (p) => humanize(p.options?.readinessCheck ?? "EC2_RUNNING"),
    width: 170,
  },
  { id: "rto", header: "Recovery time objective", cell: (p) => formatTarget(p.options?.rtoTargetMinutes), width: 210 },
  { id: "id", header: "Id", cell: (p) => <LongText text={p.planId} />, hidden: true, width: 300 },
];

export function PlansPage() {
  const api = useApi();
  const { can } = useSession();
  const notify = useNotify();
  const navigate = useNavigate();
  useBreadcrumbs([{ text: "Recovery plans", href: "#/recovery-plans" }]);
  const plans = useLoad(() => api.plans(), []);
  const [deleting, setDeleting] = useState<RecoveryPlan | null>(null);
  const [prefs, setPrefs] = useTablePreferences("recovery-plans", PLAN_COLUMNS);
  const { items, actions, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(
    plans.data?.items ?? [],
    {
      filtering: {
        empty: (
          <EmptyState
            title="No recovery plans"
            subtitle="A recovery plan recovers protection groups in ordered waves."
            action={can.administer ? <Button href="#/recovery-plans/new">Create recovery plan</Button> : undefined}
          />
        ),
        noMatch: <NoMatch what="recovery plan" onClear={() => actions.setFiltering("")} />,
      },
      pagination: { pageSize: prefs.pageSize },
      sorting: { defaultState: { sortingColumn: { sortingField: "name" } } },
      selection: {},
    },
  );
  const selected = collectionProps.selectedItems?.[0];
  return (
    <SpaceBetween size="m">
      {plans.error && <Alert type="error">{plans.error.message}</Alert>}
      <ResourceTable<RecoveryPlan>
        {...collectionProps}
        data-testid="plans-table"
        variant="full-page"
        columns={PLAN_COLUMNS}
        prefs={prefs}
        onPrefsChange={setPrefs}
        pageSizes={PAGE_SIZES}
        selectionType={can.administer ? "single" : undefined}
        ariaLabels={{
          itemSelectionLabel: (_d, p) => `select ${p.name}`,
          selectionGroupLabel: "recovery plans",
          tableLabel: "Recovery plans",
        }}
        items={items}
        loading={plans.loading}
        loadingText="Loading recovery plans"
        trackBy="planId"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={plans.data ? `(${plans.data.items.length})` : undefined}
            description="Ordered waves of protection groups"
            info={<InfoLink topic="recovery-plan" />}
            actions={
              can.administer && (
                <SpaceBetween direction="horizontal" size="xs">
                  <ButtonDropdown
                    disabled={!selected}
                    data-testid="plan-actions"
                    items={[
                      { id: "edit", text: "Edit" },
                      { id: "delete", text: "Delete" },
                    ]}
                    onItemClick={({ detail }) => {
                      if (!selected) return;
                      if (detail.id === "edit") navigate(`/recovery-plans/${selected.planId}/edit`);
                      if (detail.id === "delete") setDeleting(selected);
                    }}
                  >
                    Actions
                  </ButtonDropdown>
                  <Button variant="primary" href="#/recovery-plans/new" data-testid="create-plan">
                    Create recovery plan
                  </Button>
                </SpaceBetween>
              )
            }
          >
            Recovery plans
          </Header>
        }
        filter={
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find recovery plans"
            filteringAriaLabel="Find recovery plans"
            countText={`${filteredItemsCount ?? 0} matches`}
          />
        }
        pagination={<Pagination {...paginationProps} />}
      />
      <ConfirmModal
        visible={deleting !== null}
        header="Delete recovery plan"
        confirmLabel="Delete"
        danger
        onDismiss={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.deletePlan(deleting.planId);
          notify("success", `Recovery plan ${deleting.name} deleted`);
          setDeleting(null);
          await plans.reload();
        }}
      >
        Delete recovery plan {deleting?.name}? Past executions stay listed.
      </ConfirmModal>
    </SpaceBetween>
  );
}

type WaveRow = PlanWave & { n: number };

function waveColumns(groupName: (id: string) => string): Column<WaveRow>[] {
  return [
    { id: "n", header: "#", cell: (w) => w.n, width: 70 },
    { id: "name", header: "Wave", cell: (w) => <LongText text={w.waveName} />, width: 200 },
    { id: "groups", header: "Protection groups", cell: (w) => <LongText text={w.protectionGroupIds.map(groupName).join(", ")} />, width: 300 },
    { id: "pause", header: "Pause before", cell: (w) => (w.pauseBeforeWave ? "Yes" : "No"), width: 140 },
    {
      id: "actions",
      header: "Actions (before → after)",
      width: 360,
      cell: (w) => (
        <LongText
          text={[w.preActions, w.postActions].map((list) => (list ?? []).map((a) => a.name).join(", ") || "-").join(" → ")}
        />
      ),
    },
  ];
}

const PLAN_EXECUTION_COLUMNS = executionColumns<ExecutionSummary>(false);

export function PlanDetailPage() {
  const { planId = "" } = useParams();
  const api = useApi();
  const { can } = useSession();
  const navigate = useNavigate();
  const notify = useNotify();
  const plan = useLoad(() => api.plan(planId), [planId]);
  const groups = useLoad(() => api.groups(), []);
  const executions = useLoad(() => api.executions({ planId, limit: 10 }), [planId]);
  const [starting, setStarting] = useState<"DRILL" | "RECOVERY" | null>(null);
  const [wavePrefs, setWavePrefs] = useStoredTablePrefs("plan-waves");
  const [executionPrefs, setExecutionPrefs] = useStoredTablePrefs("plan-executions");
  useInterval(() => void executions.reload(), REFRESH_MS * 2, (executions.data?.items ?? []).some((e) => isActive(e.status)));
  useBreadcrumbs([
    { text: "Recovery plans", href: "#/recovery-plans" },
    { text: plan.data?.name ?? planId, href: `#/recovery-plans/${planId}` },
  ]);
  if (!plan.data) {
    return plan.error ? <Alert type="error" header="Cannot show the plan">{plan.error.message}</Alert> : <Spinner size="large" />;
  }
  const p = plan.data;
  const groupName = (id: string) => groups.data?.items.find((g) => g.groupId === id)?.name ?? id;
  // The plan's active executions: when one ends (or starts), its readiness and drill trend are read again.
  const running = (executions.data?.items ?? []).filter((e) => isActive(e.status)).map((e) => e.executionId).join(",");
  const start = async (typed: string) => {
    const started = starting === "RECOVERY" ? await api.startRecovery(p.planId, typed) : await api.startDrill(p.planId);
    notify("success", `${starting === "RECOVERY" ? "Recovery" : "Drill"} of ${p.name} started`, {
      path: `/executions/${started.executionId}`,
    });
    setStarting(null);
    navigate(`/executions/${started.executionId}`);
  };
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={p.description}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            {can.administer && <Button href={`#/recovery-plans/${p.planId}/edit`}>Edit</Button>}
            {can.administer && (
              <Button onClick={() => setStarting("RECOVERY")} data-testid="start-recovery">
                Start recovery
              </Button>
            )}
            {can.operate && (
              <Button variant="primary" onClick={() => setStarting("DRILL")} data-testid="start-drill">
                Start drill
              </Button>
            )}
          </SpaceBetween>
        }
      >
        {p.name}
      </Header>
      <Container header={<Header variant="h2">Options</Header>}>
        <ColumnLayout columns={4} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">Readiness check</Box>
            <div>{humanize(p.options?.readinessCheck ?? "EC2_RUNNING")}</div>
          </div>
          <div>
            <Box variant="awsui-key-label">Wave timeout</Box>
            <div>{p.options?.waveTimeoutMinutes ? `${p.options.waveTimeoutMinutes} min` : "Stack default"}</div>
          </div>
          <div>
            <Box variant="awsui-key-label">Pause timeout</Box>
            <div>{p.options?.pauseTimeoutMinutes ? `${p.options.pauseTimeoutMinutes} min` : "Stack default"}</div>
          </div>
          <div>
            <Box variant="awsui-key-label">When a wave fails</Box>
            <div>{p.options?.onWaveFailure === "PAUSE" ? "Pause for retry or skip" : "Stop"}</div>
          </div>
          <div data-testid="plan-rto-target">
            <Box variant="awsui-key-label">Recovery time objective</Box>
            <div>{formatTarget(p.options?.rtoTargetMinutes)}</div>
          </div>
        </ColumnLayout>
      </Container>
      <PlanReadinessPanel planId={p.planId} refreshKey={running} />
      <DrillScheduleRuns planId={p.planId} />
      <ResourceTable<WaveRow>
        variant="container"
        data-testid="plan-waves"
        header={<Header variant="h2" counter={`(${p.waves.length})`}>Waves</Header>}
        items={p.waves.map((w, i) => ({ ...w, n: i + 1 }))}
        trackBy="n"
        columns={waveColumns(groupName)}
        prefs={wavePrefs}
        onPrefsChange={setWavePrefs}
      />
      <ResourceTable<ExecutionSummary>
        variant="container"
        data-testid="plan-executions"
        header={
          <Header variant="h2" actions={<Button href={`#/executions`}>All executions</Button>}>
            Recent executions
          </Header>
        }
        items={executions.data?.items ?? []}
        loading={executions.loading}
        trackBy="executionId"
        columns={PLAN_EXECUTION_COLUMNS}
        prefs={executionPrefs}
        onPrefsChange={setExecutionPrefs}
        empty={
          <EmptyState
            title="This plan has not run yet"
            action={can.operate ? <Button onClick={() => setStarting("DRILL")}>Start drill</Button> : undefined}
          />
        }
      />
      <DrillTrendPanel planId={p.planId} rtoTargetMinutes={p.options?.rtoTargetMinutes} refreshKey={running} />
      <ConfirmModal
        visible={starting !== null}
        header={starting === "RECOVERY" ? `Start a RECOVERY of ${p.name}` : `Start a drill of ${p.name}`}
        confirmLabel={starting === "RECOVERY" ? "Start recovery" : "Start drill"}
        danger={starting === "RECOVERY"}
        typeToConfirm={starting === "RECOVERY" ? p.name : undefined}
        typeToConfirmLabel={`Type the plan's name, ${p.name}, to confirm`}
        onDismiss={() => setStarting(null)}
        onConfirm={start}
      >
        {starting === "RECOVERY"
          ? "A real recovery launches production recovery instances from DRS, wave by wave. This is not a drill."
          : `A drill launches drill instances of every server in ${p.waves.length} waves; they can be terminated when it ends.`}
      </ConfirmModal>
    </SpaceBetween>
  );
}
