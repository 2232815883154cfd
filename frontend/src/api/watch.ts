// What a watcher of an execution keeps: its servers and timeline, read whole once, then only what
// changed since the cursor the last read answered (?since=<cursor>), merged by key. The merged list
// is what a full read would answer: servers in wave then id order, the timeline by its sortKey.
import type { ExecutionServer, Page, TimelineEntry } from "./types";

export interface WatchedPage<T> extends Page<T> {
  cursor: string;
}

/** One page of a watched list: since a cursor (null: the whole list), after a page token. */
export type LoadWatched<T> = (since: string | null, token: string | null) => Promise<WatchedPage<T>>;

/** The page size of a watched read (the API's largest): few requests for the first, whole read. */
export const WATCH_PAGE_LIMIT = 500;

/** At most this many pages are read in one refresh (a guard against a runaway list). */
export const MAX_WATCH_PAGES = 100;

/** Every page of one read (whole, or since `since`): the items and the cursor its first page answered. */
export async function readWatched<T>(
  load: LoadWatched<T>,
  since: string | null,
  onPage?: (items: T[]) => void,
): Promise<{ items: T[]; cursor: string }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let token: string | null = null;
  for (let n = 0; n < MAX_WATCH_PAGES; n++) {
    const page: WatchedPage<T> = await load(since, token);
    cursor = cursor ?? page.cursor;
    items.push(...page.items);
    onPage?.(page.items);
    token = page.nextToken ?? null;
    if (!token) break;
  }
  return { items, cursor: cursor ?? "" };
}

/** `have` with `changed` merged in by key (a changed item replaces the one it updates), in order. */
export function mergeChanged<T>(
  have: readonly T[],
  changed: readonly T[],
  keyOf: (item: T) => string,
  compare: (a: T, b: T) => number,
): T[] {
  if (changed.length === 0) return have as T[];
  const byKey = new Map<string, T>(have.map((item) => [keyOf(item), item]));
  for (const item of changed) byKey.set(keyOf(item), item);
  return [...byKey.values()].sort(compare);
}

// Text compared by code unit, as the API orders its keys (never by locale).
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const serverKeyOf = (s: ExecutionServer) => `${s.waveNumber}#${s.sourceServerId}`;
export const compareServers = (a: ExecutionServer, b: ExecutionServer) =>
  (a.waveNumber ?? 0) - (b.waveNumber ?? 0) || byText(a.sourceServerId, b.sourceServerId);

export const eventKeyOf = (e: TimelineEntry) => e.eventId;
export const compareEvents = (a: TimelineEntry, b: TimelineEntry) => byText(a.sortKey, b.sortKey);
