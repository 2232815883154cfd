import StatusIndicator from "@cloudscape-design/components/status-indicator";
import type { WaveAction } from "../api/types";
import { actionIndicator, actionStatusText, executionIndicator, humanize, phaseText, waveIndicator } from "../status";

/** An execution's status: the icon and colour from its status, the text from the API's label. */
export function ExecutionStatusIndicator({ status, label }: { status: string; label?: string | null }) {
  return (
    <StatusIndicator type={executionIndicator(status)} data-status={status}>
      {label || status.replace(/_/g, " ")}
    </StatusIndicator>
  );
}

export function WaveStatusIndicator({ status, phase }: { status: string; phase?: string | null }) {
  return (
    <StatusIndicator type={waveIndicator(status)} data-status={status}>
      {humanize(status)}
      {status === "IN_PROGRESS" && phase ? ` (${phaseText(phase)})` : ""}
    </StatusIndicator>
  );
}

export function ActionStatusIndicator({ action }: { action: WaveAction }) {
  return (
    <StatusIndicator type={actionIndicator(action.status)} data-status={action.status}>
      {actionStatusText(action)}
    </StatusIndicator>
  );
}
