// The evidence of every drill in the console: the recovery time verdict, the timeline's paging, the
// report opened through the console's own fetch, the dashboard's recovery times, the plan's objective.
import { act, screen, waitFor } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RecoveryTime, TimelineEntry } from "../src/api/types";
import { Api } from "../src/api/client";
import { openReport, downloadReportJson } from "../src/components/report";
import { DashboardPage } from "../src/pages/Dashboard";
import { ExecutionDetailPage } from "../src/pages/ExecutionDetail";
import { PlanEditorPage } from "../src/pages/PlanEditor";
import { TimelineTable } from "../src/pages/Timeline";
import { sandboxSession } from "../src/session";
import { formatTarget, rtoMarginText, rtoVerdict } from "../src/status";
import { execution, wave } from "./fixtures";
import { fakeFetch, renderAt } from "./setup";

const { createObjectURL, revokeObjectURL } = URL;
afterEach(() => {
  vi.restoreAllMocks();
  URL.createObjectURL = createObjectURL;
  URL.revokeObjectURL = revokeObjectURL;
});

const rt = (extra: Partial<RecoveryTime> = {}): RecoveryTime => ({
  seconds: 780,
  pausedSeconds: 120,
  activeSeconds: 660,
  targetSeconds: 3600,
  met: true,
  ...extra,
});

describe("rtoVerdict", () => {
  it.each([
    ["met", rt(), "COMPLETED", "MET", "success", "RTO met"],
    ["missed", rt({ seconds: 4000, activeSeconds: 3880, met: false }), "COMPLETED", "MISSED", "error", "RTO missed"],
    ["not recovered", rt({ seconds: null, activeSeconds: null, met: false }), "FAILED", "MISSED", "error", "RTO missed"],
    ["no target", rt({ targetSeconds: null, met: null }), "COMPLETED", "NO_TARGET", "info", "No recovery time objective"],
    ["no target while active", rt({ seconds: null, targetSeconds: null, met: null }), "IN_PROGRESS", "NO_TARGET", "info", "No recovery time objective"],
    ["active", rt({ seconds: null, activeSeconds: null, met: null }), "IN_PROGRESS", "IN_PROGRESS", "in-progress", "In progress"],
    ["paused", rt({ seconds: null, activeSeconds: null, met: null }), "PAUSED", "IN_PROGRESS", "in-progress", "In progress"],
    ["ended, not judged", rt({ met: null }), "CANCELLED", "NOT_JUDGED", "pending", "Not judged"],
  ])("%s", (_name, recovery, status, key, type, text) => {
    expect(rtoVerdict(recovery, status)).toEqual({ key, type, text });
  });

  it("is null when the API gave no recovery time", () => {
    expect(rtoVerdict(undefined, "COMPLETED")).toBeNull();
    expect(rtoVerdict(null, "COMPLETED")).toBeNull();
  });

  it("says how far under or over the target", () => {
    expect(rtoMarginText(rt())).toBe("47 min 0 s under target");
    expect(rtoMarginText(rt({ seconds: 3700, met: false }))).toBe("1 min 40 s over target");
    expect(rtoMarginText(rt({ seconds: null }))).toBeNull();
    expect(rtoMarginText(rt({ targetSeconds: null }))).toBeNull();
  });

  it("formats a plan's objective", () => {
    expect(formatTarget(undefined)).toBe("None");
    expect(formatTarget(45)).toBe("45 min");
    expect(formatTarget(240)).toBe("4 h");
    expect(formatTarget(90)).toBe("90 min (1 h 30 min)");
  });
});

/** A Blob's text (jsdom's Blob has no text()). */
function blobText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

function event(n: number, extra: Partial<TimelineEntry> = {}): TimelineEntry {
  const time = `2026-01-01T00:00:${String(n).padStart(2, "0")}Z`;
  return { time, type: "SERVER_PHASE", message: `event ${n}`, eventId: `E${n}`, sortKey: `${time}#0#E${n}`, ...extra };
}

/**
 * A timeline API of `events` (mutable, each with `written`, the refresh that wrote it), paged by
 * offset tokens as the real one is; `since=c<k>` answers the events written after refresh k.
 */
function timelineApi(events: (TimelineEntry & { written?: number })[], now: { refresh: number }) {
  const calls: string[] = [];
  const fetcher = async (input: string) => {
    calls.push(input);
    const url = new URL(input, "http://console");
    const limit = Number(url.searchParams.get("limit"));
    const offset = Number((url.searchParams.get("nextToken") ?? "o0").slice(1));
    const since = url.searchParams.get("since");
    const listed = events
      .filter((e) => since === null || (e.written ?? 0) > Number(since.slice(1)))
      .map(({ written: _w, ...e }) => e)
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : 1));
    const next = offset + limit < listed.length ? `o${offset + limit}` : null;
    const body = { items: listed.slice(offset, offset + limit), nextToken: next, cursor: `c${now.refresh}` };
    return new Response(JSON.stringify(body), { status: 200 });
  };
  return { fetcher, calls };
}

function rowsText(container: HTMLElement): string[] {
  const table = createWrapper(container).findTable('[data-testid="timeline-table"]')!;
  return table.findRows().map((r) => r.getElement().textContent ?? "");
}

describe("TimelineTable", () => {
  it("reads the timeline whole once, then only what was written since its cursor, merged in order", async () => {
    // Given a timeline of 650 events (two pages of the API's 500)
    const events: (TimelineEntry & { written?: number })[] = Array.from({ length: 650 }, (_v, i) =>
      event(i % 60, { message: `event ${i}`, eventId: `E${i}`, sortKey: `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}Z#0#E${String(i).padStart(4, "0")}` }),
    );
    events[0] = { ...events[0], type: "EXECUTION_STARTED", message: "started", actor: "arn:aws:iam::1:user/alice" };
    const now = { refresh: 0 };
    const { fetcher, calls } = timelineApi(events, now);
    const session = sandboxSession("", fetcher);
    let refresh = () => undefined as void;
    function Live() {
      const [version, setVersion] = useState(0);
      refresh = () => setVersion((v) => v + 1);
      return <TimelineTable executionId="e-1" version={version} />;
    }
    // When the page opens, Then it reads every page once and shows the first 100, oldest first
    const view = renderAt(<Live />, { path: "/", route: "/", session });
    await screen.findByText("started");
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls).toEqual(["/executions/e-1/timeline?limit=500", "/executions/e-1/timeline?limit=500&nextToken=o500"]);
    let rows = rowsText(view.container);
    expect(rows).toHaveLength(100);
    expect(rows[0]).toContain("EXECUTION_STARTED");
    expect(rows[0]).toContain("arn:aws:iam::1:user/alice");

    // When an event is written and the page refreshes, Then it asks only since the cursor it holds
    now.refresh = 1;
    const written: TimelineEntry & { written: number } = {
      ...event(0, { type: "RESUMED", message: "resumed before wave 3: ok", actor: "bob", waveNumber: 3 }),
      eventId: "R",
      sortKey: "2026-01-01T00:00:00Z#0#E0000a",
      written: 1,
    };
    events.push(written);
    act(() => refresh());
    await screen.findByText("resumed before wave 3: ok");
    expect(calls[2]).toBe("/executions/e-1/timeline?limit=500&since=c0");
    // And shows it merged in its place (right after the first event), the rest kept
    rows = rowsText(view.container);
    expect(rows).toHaveLength(100);
    expect(rows[1]).toContain("RESUMED");
    expect(rows[1]).toContain("bob");

    // When nothing was written, a refresh asks since the newer cursor and changes nothing
    act(() => refresh());
    await waitFor(() => expect(calls).toHaveLength(4));
    expect(calls[3]).toBe("/executions/e-1/timeline?limit=500&since=c1");
    expect(rowsText(view.container)).toEqual(rows);
    const pagination = createWrapper(view.container).findPagination()!;
    expect(pagination.findPageNumbers()).toHaveLength(7);
  });

  it("shows messages and details as text, never markup", async () => {
    const { fetcher } = timelineApi([
      event(1, { type: "RESUMED", message: "resumed: <img src=x onerror=alert(1)>", details: { comment: "<b>ok</b>" } }),
    ], { refresh: 0 });
    const view = renderAt(<TimelineTable executionId="e-1" version={0} />, {
      path: "/",
      route: "/",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("resumed: <img src=x onerror=alert(1)>");
    expect(view.container.querySelector("img")).toBeNull();
    expect(view.container.querySelector("b")).toBeNull();
    expect(view.container.textContent).toContain("comment: <b>ok</b>");
  });
});

describe("ExecutionDetailPage evidence", () => {
  const record = execution("COMPLETED", ["COMPLETED", "COMPLETED"], {
    recoveryTime: rt(),
    options: { rtoTargetMinutes: 60 },
    waves: [wave(1, "COMPLETED", { durationSeconds: 330 }), wave(2, "COMPLETED", { durationSeconds: 45 })],
  });

  it("shows the recovery time panel, each wave's duration and each server's recovery time", async () => {
    const { fetcher } = fakeFetch({
      "GET /executions/e-1": [200, record],
      "GET /executions/e-1/servers": [
        200,
        { items: [{ sourceServerId: "s-1", hostname: "db01", waveNumber: 1, ready: true, recoveryTimeSeconds: 125 }], nextToken: null },
      ],
    });
    const view = renderAt(<ExecutionDetailPage />, {
      path: "/executions/e-1",
      route: "/executions/:executionId",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("RTO met");
    const page = createWrapper(view.container);
    const verdict = page.findStatusIndicator('[data-testid="rto-verdict"]')!;
    expect(verdict.getElement().outerHTML).toMatch(/status-success/);
    expect(screen.getByTestId("rto-seconds").textContent).toBe("Recovery time13 min 0 s47 min 0 s under target");
    expect(screen.getByTestId("rto-paused").textContent).toContain("2 min 0 s");
    expect(screen.getByTestId("rto-active").textContent).toContain("11 min 0 s");
    expect(screen.getByTestId("rto-target").textContent).toContain("1 h 0 min");
    expect(screen.getByTestId("wave-1-description").textContent).toBe("Took 5 min 30 s");
    expect(screen.getByTestId("wave-2-description").textContent).toBe("Took 45 s");
    await screen.findByText("db01 (s-1)");
    expect(page.findTable('[data-testid="server-table"]')!.findBodyCell(1, 11)!.getElement().textContent).toBe("2 min 5 s");
  });

  it("opens the HTML report through the console's fetch in a tab it opened at once", async () => {
    const { fetcher, calls } = fakeFetch({
      "GET /executions/e-1": [200, record],
      "GET /executions/e-1/servers": [200, { items: [], nextToken: null }],
    });
    const html = "<!DOCTYPE html><title>Drill report: e-1</title>";
    const signed = vi.fn(async (input: string, init?: RequestInit) =>
      input.includes("/report")
        ? new Response(html, { status: 200, headers: { "Content-Type": "text/html" } })
        : fetcher(input, init),
    );
    const tab = { opener: {} as unknown, location: { href: "" }, document: document.implementation.createHTMLDocument(""), close: vi.fn() };
    const open = vi.spyOn(window, "open").mockReturnValue(tab as unknown as Window);
    const blobs: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      blobs.push(b);
      return "blob:console/report-1";
    });
    URL.revokeObjectURL = vi.fn();
    const view = renderAt(<ExecutionDetailPage />, {
      path: "/executions/e-1",
      route: "/executions/:executionId",
      session: sandboxSession("", signed),
    });
    await screen.findByText("RTO met");
    act(() => createWrapper(view.container).findButton('[data-testid="open-report"]')!.click());
    expect(open).toHaveBeenCalledWith("", "_blank");
    await waitFor(() => expect(tab.location.href).toBe("blob:console/report-1"));
    expect(tab.opener).toBeNull();
    const reportCall = signed.mock.calls.find(([url]) => url.includes("/report"))!;
    expect(reportCall[0]).toBe("/executions/e-1/report?format=html");
    expect((reportCall[1]!.headers as Record<string, string>).Accept).toBe("text/html");
    expect(blobs[0].type).toBe("text/html;charset=utf-8");
    expect(await blobText(blobs[0])).toBe(html);
    expect(calls.filter((c) => c.method !== "GET")).toEqual([]);
  });
});

describe("report", () => {
  it("closes the tab and throws the API's error when the report cannot be had", async () => {
    const { fetcher } = fakeFetch({
      "GET /executions/e-1/report": [404, { error: { code: "EXECUTION_NOT_FOUND", message: "no execution e-1" } }],
    });
    const tab = { opener: {}, location: { href: "" }, document: document.implementation.createHTMLDocument(""), close: vi.fn() };
    const win = { open: vi.fn(() => tab) } as unknown as Window;
    await expect(openReport(new Api("", fetcher), "e-1", win)).rejects.toMatchObject({ code: "EXECUTION_NOT_FOUND" });
    expect(tab.close).toHaveBeenCalled();
    expect(tab.location.href).toBe("");
  });

  it("says so when the browser blocks the tab", async () => {
    const win = { open: vi.fn(() => null) } as unknown as Window;
    await expect(openReport(new Api("", fakeFetch({}).fetcher), "e-1", win)).rejects.toThrow(/blocked/);
  });

  it("downloads the JSON report as the API sent it", async () => {
    const json = '{"schemaVersion": "1", "executionId": "e-1"}';
    const fetcher = vi.fn(async () => new Response(json, { status: 200 }));
    const blobs: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      blobs.push(b);
      return "blob:console/json";
    });
    URL.revokeObjectURL = vi.fn();
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    await downloadReportJson(new Api("", fetcher), "e-1");
    expect(fetcher).toHaveBeenCalledWith("/executions/e-1/report?format=json", expect.anything());
    expect(clicked[0].download).toBe("drill-report-e-1.json");
    expect(clicked[0].href).toBe("blob:console/json");
    expect(await blobText(blobs[0])).toBe(json);
  });
});

describe("DashboardPage recent outcomes", () => {
  it("fetches the recovery time of the recent outcomes, at most 10, once each", async () => {
    const summaries = Array.from({ length: 12 }, (_v, i) => ({
      executionId: `e-${i}`,
      planId: "p-1",
      planName: "3TierRecoveryPlan",
      executionType: "DRILL",
      status: "COMPLETED",
      statusLabel: "COMPLETED",
    }));
    const routes: Record<string, [number, unknown]> = {
      "GET /executions": [200, { items: summaries, nextToken: null }],
      "GET /recovery-plans": [200, { items: [] }],
    };
    summaries.forEach((s, i) => {
      routes[`GET /executions/${s.executionId}`] = [
        200,
        execution("COMPLETED", ["COMPLETED"], {
          executionId: s.executionId,
          recoveryTime: i === 1 ? rt({ seconds: 4000, met: false }) : i === 2 ? rt({ targetSeconds: null, met: null }) : rt(),
        }),
      ];
    });
    const { fetcher, calls } = fakeFetch(routes);
    const view = renderAt(<DashboardPage />, { path: "/", route: "/", session: sandboxSession("", fetcher) });
    await waitFor(() => expect(screen.getAllByText("RTO met")).toHaveLength(8));
    const table = createWrapper(view.container).findTable('[data-testid="recent-outcomes"]')!;
    const row = (n: number) => table.findRows()[n].getElement().textContent ?? "";
    expect(row(0)).toContain("13 min 0 s");
    expect(row(1)).toContain("RTO missed");
    expect(row(2)).toContain("No recovery time objective");
    const details = calls.filter((c) => /^\/executions\/e-\d+$/.test(c.url)).map((c) => c.url);
    expect(details).toHaveLength(10);
    expect(new Set(details).size).toBe(10);
  });
});

describe("PlanEditorPage options", () => {
  it("sends rtoTargetMinutes and keeps the options it does not show", async () => {
    const plan = {
      planId: "p-1",
      name: "3TierRecoveryPlan",
      waves: [{ waveName: "DB", protectionGroupIds: ["g-1"] }],
      options: { capacityWaitMinutes: 30, readinessCheck: "LAUNCHED" },
    };
    const { fetcher, calls } = fakeFetch({
      "GET /recovery-plans/p-1": [200, plan],
      "GET /protection-groups": [200, { items: [{ groupId: "g-1", name: "DatabaseServers" }] }],
      "PUT /recovery-plans/p-1": [
        422,
        { error: { code: "VALIDATION_ERROR", message: "rtoTargetMinutes must be at most 10080", details: { field: "options.rtoTargetMinutes" } } },
      ],
    });
    const view = renderAt(<PlanEditorPage />, {
      path: "/recovery-plans/p-1/edit",
      route: "/recovery-plans/:planId/edit",
      session: sandboxSession("", fetcher),
    });
    const page = createWrapper(view.container);
    await waitFor(() => expect(page.findInput('[data-testid="plan-name"]')?.getInputValue()).toBe("3TierRecoveryPlan"));
    act(() => page.findInput('[data-testid="plan-rto-target"]')!.setInputValue("20000"));
    act(() => page.findButton('[data-testid="save-plan"]')!.click());
    await waitFor(() =>
      expect(page.findFormField('[data-testid="field-rto-target"]')!.findError()?.getElement().textContent).toMatch(/at most 10080/),
    );
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({
      name: "3TierRecoveryPlan",
      waves: [{ waveName: "DB", protectionGroupIds: ["g-1"], pauseBeforeWave: false }],
      options: { capacityWaitMinutes: 30, readinessCheck: "LAUNCHED", rtoTargetMinutes: 20000 },
    });
  });
});
