// A table of a list the page watches (an execution's servers or timeline): read whole once, then at
// each refresh (`version`) only what changed since the last read's cursor, merged into what it
// shows. Paged and filtered in the browser: a refresh of a 1,000-server execution reads a few items.
import { useEffect, useRef, useState, type ReactNode } from "react";
import Box from "@cloudscape-design/components/box";
import Pagination from "@cloudscape-design/components/pagination";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { TableProps } from "@cloudscape-design/components/table";
import { ApiError } from "../api/client";
import { mergeChanged, readWatched, type LoadWatched } from "../api/watch";
import { asApiError } from "./hooks";
import { matchesText } from "./PagedTable";
import { ResourceTable, useTablePreferences, type Column } from "./ResourceTable";

/** The list as kept: read whole first, then merged with what changed at each `version`. */
export function useWatchedList<T>(
  load: LoadWatched<T>,
  keyOf: (item: T) => string,
  compare: (a: T, b: T) => number,
  reset: unknown[],
  version: number,
): { items: T[] | null; error: ApiError | null } {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const kept = useRef<{ items: T[]; cursor: string | null; generation: number; busy: boolean }>({
    items: [],
    cursor: null,
    generation: 0,
    busy: false,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const resetKey = JSON.stringify(reset);

  useEffect(() => {
    kept.current = { items: [], cursor: null, generation: kept.current.generation + 1, busy: false };
    setItems(null);
    setError(null);
  }, [resetKey]);

  useEffect(() => {
    const state = kept.current;
    if (state.busy) return; // the read in flight brings what changed; the next refresh asks again
    const generation = state.generation;
    state.busy = true;
    const first = state.cursor === null;
    let shown: T[] = state.items;
    readWatched(loadRef.current, state.cursor, (page) => {
      // The first read shows each page as it comes.
      if (first && kept.current.generation === generation) {
        shown = mergeChanged(shown, page, keyOf, compare);
        setItems(shown);
      }
    }).then(
      ({ items: changed, cursor }) => {
        if (kept.current.generation !== generation) return;
        const merged = mergeChanged(kept.current.items, changed, keyOf, compare);
        kept.current = { items: merged, cursor, generation, busy: false };
        setItems(merged);
        setError(null);
      },
      (e: unknown) => {
        if (kept.current.generation !== generation) return;
        kept.current.busy = false;
        setError(asApiError(e));
      },
    );
    // keyOf and compare are module functions: the list's identity is reset's.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, resetKey]);
  return { items, error };
}

export function WatchedTable<T>({
  tableId,
  columns,
  load,
  keyOf,
  compare,
  reset,
  version,
  pageSize,
  searchText,
  filteringPlaceholder,
  header,
  empty,
  loadingText,
  variant,
  testId,
}: {
  tableId: string;
  columns: Column<T>[];
  load: LoadWatched<T>;
  keyOf: (item: T) => string;
  compare: (a: T, b: T) => number;
  reset: unknown[];
  version: number;
  pageSize: number;
  searchText: (item: T) => string;
  filteringPlaceholder: string;
  header: ReactNode;
  empty: ReactNode;
  loadingText: string;
  variant?: TableProps.Variant;
  testId: string;
}) {
  const [prefs, setPrefs] = useTablePreferences(tableId, columns, pageSize);
  const limit = prefs.pageSize;
  const { items, error } = useWatchedList(load, keyOf, compare, reset, version);
  const [query, setQuery] = useState("");
  const [pageIndex, setPageIndex] = useState(1);
  const searching = query.trim() !== "";
  useEffect(() => setPageIndex(1), [query, JSON.stringify(reset)]);

  const listed = items ?? [];
  const matches = searching ? listed.filter((item) => matchesText(searchText(item), query)) : listed;
  const pagesCount = Math.max(1, Math.ceil(matches.length / limit));
  const current = Math.min(pageIndex, pagesCount);
  const shown = matches.slice((current - 1) * limit, current * limit);
  return (
    <ResourceTable<T>
      data-testid={testId}
      columns={columns}
      prefs={prefs}
      onPrefsChange={setPrefs}
      pageSizes={[10, 20, 50, 100]}
      variant={variant}
      header={header}
      items={shown}
      loading={items === null && !error}
      loadingText={loadingText}
      trackBy={keyOf}
      sortingDisabled
      filter={
        <TextFilter
          filteringText={query}
          onChange={({ detail }) => setQuery(detail.filteringText)}
          filteringPlaceholder={filteringPlaceholder}
          filteringAriaLabel={filteringPlaceholder}
          countText={searching ? `${matches.length} match${matches.length === 1 ? "" : "es"}` : undefined}
        />
      }
      pagination={
        <Pagination
          currentPageIndex={current}
          pagesCount={pagesCount}
          onChange={({ detail }) => setPageIndex(detail.currentPageIndex)}
        />
      }
      empty={
        error ? (
          <Box textAlign="center" color="text-status-error">
            {error.message}
          </Box>
        ) : searching ? (
          <Box textAlign="center">
            <b>No match</b>
            <Box variant="p" color="inherit">
              Nothing in the whole list matches "{query}".
            </Box>
          </Box>
        ) : (
          empty
        )
      }
    />
  );
}
