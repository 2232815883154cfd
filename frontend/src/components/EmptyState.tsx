import type { ReactNode } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";

/** What a table shows when it has no row: a title, a sentence, and the action it calls for. */
export function EmptyState({ title, subtitle, action }: { title: string; subtitle?: string; action?: ReactNode }) {
  return (
    <Box textAlign="center" color="inherit">
      <Box variant="strong" textAlign="center" color="inherit">
        {title}
      </Box>
      {subtitle && (
        <Box variant="p" padding={{ bottom: "s" }} color="inherit">
          {subtitle}
        </Box>
      )}
      {action}
    </Box>
  );
}

/** The empty state of a filter that matches nothing: "Clear filter". */
export function NoMatch({ what, onClear }: { what: string; onClear: () => void }) {
  return (
    <EmptyState
      title="No match"
      subtitle={`No ${what} matches the filter.`}
      action={
        <Button onClick={onClear} data-testid="clear-filter">
          Clear filter
        </Button>
      }
    />
  );
}
