import { useEffect, useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { Execution } from "../api/types";
import { formatTime } from "../time";

export const POSTPONE_MIN_HOURS = 1;
export const POSTPONE_MAX_HOURS = 168;

/** What the execution page says of a drill's automatic cleanup, or null when none is pending. */
export function cleanupText(execution: Pick<Execution, "cleanupPending" | "cleanupAt" | "cleanupPostponedBy">): string | null {
  if (!execution.cleanupPending || !execution.cleanupAt) return null;
  const by = execution.cleanupPostponedBy ? `; postponed by ${execution.cleanupPostponedBy}` : "";
  return `Instances will be terminated at ${formatTime(execution.cleanupAt)} (automatic cleanup)${by}`;
}

/** The hours typed, when they are a whole number the API accepts; else the reason. */
export function postponeHours(typed: string): { hours: number } | { error: string } {
  const hours = Number(typed);
  if (!typed.trim() || !Number.isInteger(hours) || hours < POSTPONE_MIN_HOURS || hours > POSTPONE_MAX_HOURS)
    return { error: `A whole number of hours, ${POSTPONE_MIN_HOURS} to ${POSTPONE_MAX_HOURS}` };
  return { hours };
}

/**
 * The pending automatic cleanup of a drill's recovery instances: when, and (for those who may operate)
 * a "Postpone cleanup" action asking how many hours. The API decides; its refusal is shown in the dialog.
 */
export function CleanupBanner({
  execution,
  mayPostpone,
  onPostpone,
}: {
  execution: Execution;
  mayPostpone: boolean;
  onPostpone: (hours: number) => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("4");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (open) {
      setTyped("4");
      setError(null);
      setBusy(false);
    }
  }, [open]);
  const text = cleanupText(execution);
  if (!text) return null;
  const parsed = postponeHours(typed);
  const submit = async () => {
    if (!("hours" in parsed)) return;
    setBusy(true);
    setError(null);
    try {
      await onPostpone(parsed.hours);
      setOpen(false);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Alert
        type="info"
        header="Automatic cleanup"
        data-testid="cleanup-banner"
        action={
          mayPostpone ? (
            <Button onClick={() => setOpen(true)} data-testid="action-postpone-cleanup">
              Postpone cleanup
            </Button>
          ) : undefined
        }
      >
        <span data-testid="cleanup-text">{text}</span>
      </Alert>
      <Modal
        visible={open}
        onDismiss={() => setOpen(false)}
        header="Postpone the automatic cleanup"
        data-testid="postpone-cleanup-modal"
        footer={
          <Box float="right">
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" onClick={() => setOpen(false)} data-testid="postpone-cancel">
                Cancel
              </Button>
              <Button
                variant="primary"
                disabled={!("hours" in parsed)}
                loading={busy}
                onClick={() => void submit()}
                data-testid="postpone-ok"
              >
                Postpone
              </Button>
            </SpaceBetween>
          </Box>
        }
      >
        <SpaceBetween size="m">
          <Box>
            The recovery instances of this drill will be terminated at {formatTime(execution.cleanupAt)}. Keep them longer:
            the cleanup moves this many hours later (counted from now if that time has passed).
          </Box>
          <FormField
            label="Hours"
            constraintText={`${POSTPONE_MIN_HOURS} to ${POSTPONE_MAX_HOURS}`}
            errorText={"error" in parsed ? parsed.error : undefined}
          >
            <Input
              type="number"
              value={typed}
              onChange={({ detail }) => setTyped(detail.value)}
              data-testid="postpone-hours"
            />
          </FormField>
          {error && (
            <Alert type="error" data-testid="postpone-error">
              {error}
            </Alert>
          )}
        </SpaceBetween>
      </Modal>
    </>
  );
}
