// The one table of the console: Cloudscape's Table with collection preferences (page size, visible
// columns, wrap lines, sticky first column), resizable columns, and the preferences and column
// widths kept in the browser per table (localStorage "drs-console.table.<tableId>").
import { forwardRef, type ReactElement, type ReactNode, type Ref } from "react";
import CollectionPreferences, {
  type CollectionPreferencesProps,
} from "@cloudscape-design/components/collection-preferences";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import { useStoredState } from "./preferences";

export interface Column<T> {
  id: string;
  header: string;
  cell: (item: T) => ReactNode;
  sortingField?: string;
  /** Initial width (px); the operator may resize it. */
  width?: number;
  minWidth?: number;
  /** Hidden until the operator shows it in the preferences. */
  hidden?: boolean;
  /** Cannot be hidden (the column that names the row). */
  alwaysVisible?: boolean;
}

export interface TablePreferences {
  pageSize: number;
  wrapLines: boolean;
  stickyFirst: number;
  columns: { id: string; visible: boolean }[];
  widths: Record<string, number>;
}

export const PAGE_SIZES = [10, 20, 50, 100];

export const tableStorageKey = (tableId: string) => `drs-console.table.${tableId}`;

/** The stored order and visibility, with columns added since they were stored appended (visible unless hidden). */
export function columnDisplay<T>(
  columns: Column<T>[],
  stored: { id: string; visible: boolean }[],
): { id: string; visible: boolean }[] {
  const known = new Set(columns.map((c) => c.id));
  const kept = stored.filter((c) => known.has(c.id));
  const seen = new Set(kept.map((c) => c.id));
  return [...kept, ...columns.filter((c) => !seen.has(c.id)).map((c) => ({ id: c.id, visible: !c.hidden }))].map((c) =>
    columns.find((col) => col.id === c.id)?.alwaysVisible ? { ...c, visible: true } : c,
  );
}

/** A table's preferences as kept in the browser (defaults: 20 a page, no wrapping, first column sticky). */
export function useTablePreferences<T>(tableId: string, columns: Column<T>[], defaultPageSize = 20) {
  const [stored, setStored] = useStoredTablePrefs(tableId, defaultPageSize);
  const prefs = { ...stored, columns: columnDisplay(columns, stored.columns) };
  return [prefs, setStored] as const;
}

/**
 * The stored preferences of a table whose columns are built while rendering: the columns are merged
 * in by ResourceTable itself.
 */
export function useStoredTablePrefs(tableId: string, defaultPageSize = 20) {
  return useStoredState<TablePreferences>(tableStorageKey(tableId), {
    pageSize: defaultPageSize,
    wrapLines: false,
    stickyFirst: 1,
    columns: [],
    widths: {},
  });
}

export type ResourceTableProps<T> = Omit<
  TableProps<T>,
  "columnDefinitions" | "columnDisplay" | "preferences" | "wrapLines" | "stickyColumns" | "resizableColumns"
> & {
  columns: Column<T>[];
  prefs: TablePreferences;
  onPrefsChange: (prefs: TablePreferences) => void;
  /** Offer a page size (client-side paging, or the API's page size); off for tables that show every row. */
  pageSizes?: number[];
};

function ResourceTableInner<T>(
  { columns, prefs: stored, onPrefsChange, pageSizes, ...table }: ResourceTableProps<T>,
  ref: Ref<TableProps.Ref>,
) {
  const prefs = { ...stored, columns: columnDisplay(columns, stored.columns) };
  const definitions: TableProps.ColumnDefinition<T>[] = columns.map((c) => ({
    id: c.id,
    header: c.header,
    cell: c.cell,
    sortingField: c.sortingField,
    width: prefs.widths[c.id] ?? c.width,
    minWidth: c.minWidth ?? 80,
  }));
  const preferences: CollectionPreferencesProps.Preferences = {
    pageSize: prefs.pageSize,
    wrapLines: prefs.wrapLines,
    stickyColumns: { first: prefs.stickyFirst, last: 0 },
    contentDisplay: prefs.columns,
  };
  return (
    <Table<T>
      {...table}
      ref={ref}
      columnDefinitions={definitions}
      columnDisplay={prefs.columns}
      wrapLines={prefs.wrapLines}
      stickyColumns={{ first: prefs.stickyFirst, last: 0 }}
      resizableColumns
      onColumnWidthsChange={({ detail }) => {
        const widths = { ...prefs.widths };
        const visible = prefs.columns.filter((c) => c.visible).map((c) => c.id);
        let changed = false;
        detail.widths.forEach((w, i) => {
          if (visible[i] && widths[visible[i]] !== w) {
            widths[visible[i]] = w;
            changed = true;
          }
        });
        if (changed) onPrefsChange({ ...stored, widths });
      }}
      preferences={
        <CollectionPreferences
          title="Preferences"
          confirmLabel="Confirm"
          cancelLabel="Cancel"
          preferences={preferences}
          onConfirm={({ detail }) =>
            onPrefsChange({
              ...stored,
              pageSize: detail.pageSize ?? prefs.pageSize,
              wrapLines: detail.wrapLines ?? false,
              stickyFirst: detail.stickyColumns?.first ?? 0,
              columns: (detail.contentDisplay ?? prefs.columns).map((c) => ({ id: c.id, visible: c.visible })),
            })
          }
          pageSizePreference={
            pageSizes
              ? { title: "Page size", options: pageSizes.map((n) => ({ value: n, label: `${n} rows` })) }
              : undefined
          }
          wrapLinesPreference={{ label: "Wrap lines", description: "Show long values in full, on several lines" }}
          stickyColumnsPreference={{
            firstColumns: {
              title: "Stick first column",
              description: "Keep the first column visible while the table scrolls sideways",
              options: [
                { label: "None", value: 0 },
                { label: "First column", value: 1 },
              ],
            },
          }}
          contentDisplayPreference={{
            title: "Column preferences",
            description: "Choose the columns shown and their order",
            options: columns.map((c) => ({ id: c.id, label: c.header, alwaysVisible: c.alwaysVisible })),
          }}
        />
      }
    />
  );
}

/** The shared table (a generic component that takes the ref useCollection hands it). */
export const ResourceTable = forwardRef(ResourceTableInner) as <T>(
  props: ResourceTableProps<T> & { ref?: Ref<TableProps.Ref> },
) => ReactElement;

/**
 * A long value (an error, an ARN, a command's output) on one line, cut with an ellipsis by the table
 * when its column is narrower; the whole text on hover.
 */
export function LongText({ text, testId }: { text: string | null | undefined; testId?: string }) {
  if (!text) return <>-</>;
  return (
    <span title={text} data-testid={testId}>
      {text}
    </span>
  );
}
