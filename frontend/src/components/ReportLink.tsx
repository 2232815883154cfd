// "Share link": a short-lived presigned link to the stored drill report, to open or pass on to
// someone who has access (it reads the report for a few minutes, then asks for a new one).
import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { Api } from "../api/client";
import { reportLink, type ReportLink } from "../api/pages";
import { formatDuration, formatTime } from "../status";

export function ShareReportLink({
  api,
  executionId,
  onError,
}: {
  api: Api;
  executionId: string;
  onError: (message: string) => void;
}) {
  const [link, setLink] = useState<ReportLink | null>(null);
  const [busy, setBusy] = useState(false);
  const ask = () => {
    setBusy(true);
    reportLink(api, executionId)
      .then(setLink)
      .catch((e: unknown) => onError(`No link to the report: ${(e as Error).message}`))
      .finally(() => setBusy(false));
  };
  return (
    <>
      <Button iconName="share" loading={busy} onClick={ask} data-testid="share-report">
        Share link
      </Button>
      <Modal
        visible={link !== null}
        onDismiss={() => setLink(null)}
        header="Link to the drill report"
        data-testid="report-link-modal"
        footer={
          <Box float="right">
            <Button variant="primary" onClick={() => setLink(null)}>
              Close
            </Button>
          </Box>
        }
      >
        {link && (
          <SpaceBetween size="m">
            <Box>
              Anyone you give this link to can read the report until{" "}
              <span data-testid="report-link-expires">{formatTime(link.expiresAt)}</span> (
              {formatDuration(link.expiresInSeconds)}); ask for a new one after that.
            </Box>
            <FormField label="Link">
              <Input value={link.url} readOnly data-testid="report-link-url" ariaLabel="Link to the drill report" />
            </FormField>
            <CopyToClipboard
              variant="button"
              textToCopy={link.url}
              copyButtonText="Copy link"
              copySuccessText="Link copied"
              copyErrorText="The link could not be copied"
            />
          </SpaceBetween>
        )}
      </Modal>
    </>
  );
}
