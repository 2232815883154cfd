import { useEffect, useState, type ReactNode } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";

/** The API records a comment of up to 1,000 characters with who acted. */
export const COMMENT_MAX = 1000;

export interface ConfirmModalProps {
  visible: boolean;
  header: string;
  children: ReactNode;
  confirmLabel: string;
  /** When given, the operator must type this text exactly to enable the confirm button. */
  typeToConfirm?: string;
  typeToConfirmLabel?: string;
  danger?: boolean;
  /** When given, an optional comment field with this label; its text is passed to onConfirm. */
  commentLabel?: string;
  onConfirm: (typed: string, comment: string) => Promise<void> | void;
  onDismiss: () => void;
}

/** A confirmation dialog; the confirm button stays disabled until the required text is typed. */
export function ConfirmModal(props: ConfirmModalProps) {
  const { visible, typeToConfirm } = props;
  const [typed, setTyped] = useState("");
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (visible) {
      setTyped("");
      setComment("");
      setError(null);
      setBusy(false);
    }
  }, [visible]);
  const ready = (typeToConfirm === undefined || typed === typeToConfirm) && comment.length <= COMMENT_MAX;
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm(typed, comment.trim());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      visible={visible}
      onDismiss={props.onDismiss}
      header={props.header}
      data-testid="confirm-modal"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={props.onDismiss} data-testid="confirm-cancel">
              Cancel
            </Button>
            <Button
              variant="primary"
              disabled={!ready}
              loading={busy}
              onClick={() => void confirm()}
              data-testid="confirm-ok"
            >
              {props.confirmLabel}
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="m">
        {props.danger ? <Alert type="warning">{props.children}</Alert> : <Box>{props.children}</Box>}
        {typeToConfirm !== undefined && (
          <FormField label={props.typeToConfirmLabel ?? `Type "${typeToConfirm}" to confirm`}>
            <Input
              value={typed}
              onChange={({ detail }) => setTyped(detail.value)}
              placeholder={typeToConfirm}
              ariaLabel="confirmation text"
              data-testid="confirm-input"
            />
          </FormField>
        )}
        {props.commentLabel !== undefined && (
          <FormField
            label={props.commentLabel}
            constraintText={`Optional; recorded with your name. ${comment.length}/${COMMENT_MAX} characters.`}
            errorText={comment.length > COMMENT_MAX ? `At most ${COMMENT_MAX} characters` : undefined}
          >
            <Input
              value={comment}
              onChange={({ detail }) => setComment(detail.value)}
              ariaLabel="comment"
              data-testid="confirm-comment"
            />
          </FormField>
        )}
        {error && (
          <Alert type="error" header="The API refused">
            {error}
          </Alert>
        )}
      </SpaceBetween>
    </Modal>
  );
}
