// The one paged table: a list the API pages with nextToken, shown a page of the API at a time; a
// filter searches the whole list (every page fetched), not the page shown.
import { useEffect, useRef, useState, type ReactNode } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Pagination from "@cloudscape-design/components/pagination";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { TableProps } from "@cloudscape-design/components/table";
import type { Page } from "../api/types";
import { ApiError } from "../api/client";
import { asApiError } from "./hooks";
import { useTokenPages } from "./paging";
import { ResourceTable, useTablePreferences, type Column } from "./ResourceTable";

/** At most this many pages are fetched for a search (a guard against a runaway list). */
export const MAX_SEARCH_PAGES = 100;

/** Every item of a paged list, page after page. */
export async function loadAllPages<T>(load: (token: string | null) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | null = null;
  for (let n = 0; n < MAX_SEARCH_PAGES; n++) {
    const page: Page<T> = await load(token);
    items.push(...page.items);
    token = page.nextToken ?? null;
    if (!token) break;
  }
  return items;
}

export function matchesText(text: string, query: string): boolean {
  return text.toLowerCase().includes(query.trim().toLowerCase());
}

export function PagedTable<T>({
  tableId,
  columns,
  load,
  reset,
  version,
  pageSize,
  searchText,
  filteringPlaceholder,
  header,
  empty,
  loadingText,
  trackBy,
  variant,
  testId,
  sortingDisabled = true,
}: {
  tableId: string;
  columns: Column<T>[];
  load: (token: string | null, limit: number) => Promise<Page<T>>;
  reset: unknown[];
  version: number;
  pageSize: number;
  searchText: (item: T) => string;
  filteringPlaceholder: string;
  header: ReactNode;
  empty: ReactNode;
  loadingText: string;
  trackBy: TableProps.TrackBy<T>;
  variant?: TableProps.Variant;
  testId: string;
  sortingDisabled?: boolean;
}) {
  const [prefs, setPrefs] = useTablePreferences(tableId, columns, pageSize);
  const limit = prefs.pageSize;
  const loadRef = useRef(load);
  loadRef.current = load;
  const pages = useTokenPages((token) => loadRef.current(token, limit), [...reset, limit], version);
  const [query, setQuery] = useState("");
  const [all, setAll] = useState<T[] | null>(null);
  const [searchError, setSearchError] = useState<ApiError | null>(null);
  const [searchPage, setSearchPage] = useState(1);
  const searching = query.trim() !== "";
  const resetKey = JSON.stringify(reset);

  // A search fetches the whole list, again whenever the list may have grown (version).
  useEffect(() => {
    if (!searching) {
      setAll(null);
      return undefined;
    }
    let live = true;
    loadAllPages((token) => loadRef.current(token, 100)).then(
      (items) => {
        if (live) {
          setAll(items);
          setSearchError(null);
        }
      },
      (e: unknown) => live && setSearchError(asApiError(e)),
    );
    return () => {
      live = false;
    };
  }, [searching, version, resetKey]);
  useEffect(() => setSearchPage(1), [query]);

  const matches = searching && all ? all.filter((item) => matchesText(searchText(item), query)) : [];
  const shown = searching ? matches.slice((searchPage - 1) * limit, searchPage * limit) : pages.items;
  const error = searching ? searchError : pages.error;
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
      loading={searching ? all === null && !searchError : pages.loading && pages.items.length === 0}
      loadingText={searching ? "Searching every page" : loadingText}
      trackBy={trackBy}
      sortingDisabled={sortingDisabled}
      filter={
        <TextFilter
          filteringText={query}
          onChange={({ detail }) => setQuery(detail.filteringText)}
          filteringPlaceholder={filteringPlaceholder}
          filteringAriaLabel={filteringPlaceholder}
          countText={searching && all ? `${matches.length} match${matches.length === 1 ? "" : "es"}` : undefined}
        />
      }
      pagination={
        searching ? (
          <Pagination
            currentPageIndex={searchPage}
            pagesCount={Math.max(1, Math.ceil(matches.length / limit))}
            onChange={({ detail }) => setSearchPage(detail.currentPageIndex)}
          />
        ) : (
          <Pagination
            currentPageIndex={pages.pageIndex}
            pagesCount={pages.pagesCount}
            openEnd={pages.openEnd}
            onChange={({ detail }) => pages.setPageIndex(detail.currentPageIndex)}
          />
        )
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
            <Button onClick={() => setQuery("")}>Clear filter</Button>
          </Box>
        ) : (
          empty
        )
      }
    />
  );
}
