// The one editor form: a page header with its "Info" link, the form's error above the fields,
// Cancel and the submit button at the bottom right.
import type { ReactNode } from "react";
import Button from "@cloudscape-design/components/button";
import Form from "@cloudscape-design/components/form";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { InfoLink, type HELP_TOPICS } from "./help";

export function EditorForm({
  title,
  description,
  helpTopic,
  errorText,
  cancelHref,
  submitLabel,
  submitTestId,
  saving,
  onSubmit,
  children,
}: {
  title: string;
  description?: string;
  helpTopic: keyof typeof HELP_TOPICS;
  errorText?: string | null;
  cancelHref: string;
  submitLabel: string;
  submitTestId: string;
  saving: boolean;
  onSubmit: () => void;
  children: ReactNode;
}) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
      }}
    >
      <Form
        header={
          <Header variant="h1" description={description} info={<InfoLink topic={helpTopic} />}>
            {title}
          </Header>
        }
        errorText={errorText ?? undefined}
        errorIconAriaLabel="Error"
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" href={cancelHref}>
              Cancel
            </Button>
            <Button variant="primary" loading={saving} onClick={onSubmit} data-testid={submitTestId}>
              {submitLabel}
            </Button>
          </SpaceBetween>
        }
      >
        {children}
      </Form>
    </form>
  );
}
