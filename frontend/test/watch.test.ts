// What a watcher keeps (api/watch.ts): the changed items merged by key into what it has, in the
// API's order, equal to what a full read answers.
import { describe, expect, it } from "vitest";
import type { ExecutionServer, TimelineEntry } from "../src/api/types";
import {
  compareEvents,
  compareServers,
  eventKeyOf,
  mergeChanged,
  readWatched,
  serverKeyOf,
  type WatchedPage,
} from "../src/api/watch";

const server = (wave: number, id: string, launchStatus = "PENDING") =>
  ({ waveNumber: wave, sourceServerId: id, launchStatus }) as ExecutionServer;

describe("mergeChanged", () => {
  it("replaces a changed server, adds a new one, and keeps wave then id order (by code unit, as the API)", () => {
    // Given a watcher holding wave 1's servers
    const have = [server(1, "s-a"), server(1, "s-b"), server(2, "s-Z")];
    // When a refresh answers s-b launched and a server of wave 2 new
    const merged = mergeChanged(have, [server(1, "s-b", "LAUNCHED"), server(2, "s-B")], serverKeyOf, compareServers);
    // Then the list is what a full read answers
    expect(merged).toEqual([server(1, "s-a"), server(1, "s-b", "LAUNCHED"), server(2, "s-B"), server(2, "s-Z")]);
  });

  it("keeps what it has, the very same list, when nothing changed", () => {
    const have = [server(1, "s-a")];
    expect(mergeChanged(have, [], serverKeyOf, compareServers)).toBe(have);
  });

  it("orders timeline entries by their sortKey and merges a repeated one once", () => {
    const entry = (id: string, key: string) => ({ eventId: id, sortKey: key, time: key, type: "X", message: id }) as TimelineEntry;
    const merged = mergeChanged(
      [entry("b", "2026-01-01T00:00:02Z#0#b")],
      [entry("a", "2026-01-01T00:00:01Z#1#a"), entry("b", "2026-01-01T00:00:02Z#0#b")],
      eventKeyOf,
      compareEvents,
    );
    expect(merged.map((e) => e.eventId)).toEqual(["a", "b"]);
  });
});

describe("readWatched", () => {
  it("reads every page and keeps the cursor of the first", async () => {
    const asked: (string | null)[][] = [];
    const pages: WatchedPage<number>[] = [
      { items: [1, 2], nextToken: "t1", cursor: "c-first" },
      { items: [3], nextToken: null, cursor: "c-later" },
    ];
    const read = await readWatched<number>(async (since, token) => {
      asked.push([since, token]);
      return pages[asked.length - 1];
    }, "c-0");
    expect(read).toEqual({ items: [1, 2, 3], cursor: "c-first" });
    expect(asked).toEqual([
      ["c-0", null],
      ["c-0", "t1"],
    ]);
  });
});
