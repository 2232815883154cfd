import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import type { Execution, RecoveryTime } from "../api/types";
import { formatDuration, isActive, rtoMarginText, rtoVerdict } from "../status";

/** The verdict on a recovery time against its objective, as a StatusIndicator (never colour alone). */
export function RtoVerdictIndicator({
  recovery,
  status,
  testId,
}: {
  recovery: RecoveryTime | null | undefined;
  status: string;
  testId?: string;
}) {
  const verdict = rtoVerdict(recovery, status);
  if (!verdict) return <span data-testid={testId}>-</span>;
  return (
    <StatusIndicator type={verdict.type} data-testid={testId} data-verdict={verdict.key}>
      {verdict.text}
    </StatusIndicator>
  );
}

function KeyValue({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div data-testid={testId}>
      <Box variant="awsui-key-label">{label}</Box>
      <div>{children}</div>
    </div>
  );
}

/** Why an execution has no measured recovery time yet (or never will). */
function unmeasured(execution: Execution): string {
  if (isActive(execution.status)) return "Measured when the last wave completes";
  return "Not recovered: not every wave completed";
}

/**
 * The "Recovery time" panel: the measured recovery time (start to the last wave COMPLETED), the time
 * spent paused reported apart, the active time, the plan's target and the verdict, all as the API
 * computed them.
 */
export function RecoveryTimePanel({ execution }: { execution: Execution }) {
  const recovery = execution.recoveryTime;
  const margin = rtoMarginText(recovery);
  return (
    <Container
      data-testid="recovery-time"
      header={
        <Header
          variant="h2"
          description="From the start to the moment the last wave completed; time spent paused is shown apart"
          actions={<RtoVerdictIndicator recovery={recovery} status={execution.status} testId="rto-verdict" />}
        >
          Recovery time
        </Header>
      }
    >
      {recovery ? (
        <ColumnLayout columns={4} variant="text-grid">
          <KeyValue label="Recovery time" testId="rto-seconds">
            {recovery.seconds === null || recovery.seconds === undefined ? (
              <Box color="text-body-secondary">{unmeasured(execution)}</Box>
            ) : (
              formatDuration(recovery.seconds)
            )}
            {margin && (
              <Box variant="small" display="block" color="text-body-secondary">
                {margin}
              </Box>
            )}
          </KeyValue>
          <KeyValue label="Paused (apart)" testId="rto-paused">
            {formatDuration(recovery.pausedSeconds ?? 0)}
          </KeyValue>
          <KeyValue label="Active time" testId="rto-active">
            {formatDuration(recovery.activeSeconds)}
          </KeyValue>
          <KeyValue label="Recovery time objective" testId="rto-target">
            {recovery.targetSeconds === null || recovery.targetSeconds === undefined
              ? "None set on the plan"
              : formatDuration(recovery.targetSeconds)}
          </KeyValue>
        </ColumnLayout>
      ) : (
        <Box color="text-body-secondary">The API gave no recovery time for this execution.</Box>
      )}
    </Container>
  );
}
