import { useCallback, useEffect, useRef, useState } from "react";
import type { Page } from "../api/types";
import { ApiError } from "../api/client";
import { asApiError } from "./hooks";

/**
 * Server-side paging over an API list with nextToken: page N is fetched with the token page N-1
 * returned. `reset` changes (filters) start again at page 1; `version` changes refresh the current page.
 */
export function useTokenPages<T>(
  load: (token: string | null) => Promise<Page<T>>,
  reset: unknown[],
  version = 0,
) {
  const [tokens, setTokens] = useState<(string | null)[]>([null]); // tokens[i] fetches page i+1
  const [pageIndex, setPageIndex] = useState(1);
  const [items, setItems] = useState<T[]>([]);
  const [hasNext, setHasNext] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const resetKey = JSON.stringify(reset);

  useEffect(() => {
    setTokens([null]);
    setPageIndex(1);
  }, [resetKey]);

  const fetchPage = useCallback(async (index: number, token: string | null, quiet: boolean) => {
    if (!quiet) setLoading(true);
    try {
      const page = await loadRef.current(token);
      setItems(page.items);
      setError(null);
      const next = page.nextToken ?? null;
      setHasNext(Boolean(next));
      setTokens((current) => {
        const copy = current.slice(0, index);
        copy[index] = next;
        return copy;
      });
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setLoading(false);
    }
  }, []);

  const token = tokens[pageIndex - 1] ?? null;
  useEffect(() => {
    void fetchPage(pageIndex, token, false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pageIndex, resetKey]);
  useEffect(() => {
    if (version > 0) void fetchPage(pageIndex, token, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  return {
    items,
    loading,
    error,
    pageIndex,
    pagesCount: hasNext ? pageIndex + 1 : pageIndex,
    openEnd: hasNext,
    setPageIndex: (n: number) => {
      if (n >= 1 && n <= (hasNext ? pageIndex + 1 : pageIndex)) setPageIndex(n);
    },
    refresh: () => fetchPage(pageIndex, token, true),
  };
}
