// The console's pages that were missing: the Gantt chart drawn from the report's model, a protection
// group's page, "Instances still running" with its termination, the report opened from its link,
// and servers named by hostname with their id.
import { act, render, screen, waitFor } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Api } from "../src/api/client";
import { serverLabel, type Gantt } from "../src/api/pages";
import { GanttChart } from "../src/components/Gantt";
import { openReport } from "../src/components/report";
import { GroupDetailPage } from "../src/pages/GroupDetail";
import { RunningInstancesPage } from "../src/pages/RunningInstances";
import { sandboxSession } from "../src/session";
import { fakeFetch, renderAt } from "./setup";

afterEach(() => vi.restoreAllMocks());

const span = (start: string, end: string | null, startOffset: number, endOffset: number) => ({
  start,
  end,
  drawnEnd: end ?? "2026-01-01T10:10:00.000Z",
  startOffset,
  endOffset,
});

const GANTT: Gantt = {
  start: "2026-01-01T10:00:00.000Z",
  startLabel: "T+ from 10:00:00 UTC",
  spanSeconds: 612,
  ticks: [
    { offset: 0, label: "0" },
    { offset: 300, label: "5m" },
  ],
  waves: [
    {
      waveNumber: 1,
      waveName: "DB",
      status: "COMPLETED",
      color: "#2e7d32",
      label: "Wave 1 · DB",
      detail: "COMPLETED · 5m 00s · 1 server",
      tip: "Wave 1 (DB) completed: +0 → +5m (5m 00s)",
      stages: [
        { stage: "POST", label: "Post-actions", count: 1, tip: "post", ...span("2026-01-01T10:04:00.000Z", "2026-01-01T10:05:00.000Z", 240, 300) },
      ],
      servers: [
        {
          sourceServerId: "s-1",
          hostname: "db01",
          name: "db01",
          label: "db01 (s-1)",
          phases: [
            { phase: "SNAPSHOT", label: "Snapshot", mark: false, tip: "db01 Snapshot", ...span("2026-01-01T10:00:10.000Z", "2026-01-01T10:01:00.000Z", 10, 60) },
            { phase: "READY", label: "Ready", mark: true, tip: "db01: ready", ...span("2026-01-01T10:04:00.000Z", "2026-01-01T10:04:00.000Z", 240, 240) },
          ],
        },
      ],
      moreServers: 0,
      ...span("2026-01-01T10:00:00.000Z", "2026-01-01T10:05:00.000Z", 0, 300),
    },
    {
      waveNumber: 2,
      waveName: "App",
      status: "IN_PROGRESS",
      color: "#1565c0",
      label: "Wave 2 · App",
      detail: "IN PROGRESS · - · 0 servers",
      tip: "Wave 2 (App) in progress: from +5m 30s, still running",
      stages: [],
      servers: [],
      moreServers: 0,
      ...span("2026-01-01T10:05:30.000Z", null, 330, 600),
    },
  ],
  pauses: [
    { seconds: 30, what: "Paused before wave 2", label: "paused 30s", tip: "Paused before wave 2", ...span("2026-01-01T10:05:00.000Z", "2026-01-01T10:05:30.000Z", 300, 330) },
  ],
  target: { seconds: 600, label: "RTO target 10m", offset: 600 },
  recovered: null,
  description: "Gantt chart of 2 waves",
};

describe("GanttChart", () => {
  it("draws every bar of the report's model with its moments and labels", () => {
    const view = render(<GanttChart gantt={GANTT} executionId="e-1" />);
    const bars = view.getAllByTestId("gantt-wave-bar");
    expect(bars.map((b) => [b.getAttribute("data-start"), b.getAttribute("data-end")])).toEqual([
      ["2026-01-01T10:00:00.000Z", "2026-01-01T10:05:00.000Z"],
      ["2026-01-01T10:05:30.000Z", ""],
    ]);
    const phases = view.getAllByTestId("gantt-phase");
    expect(phases.map((p) => p.getAttribute("data-phase"))).toEqual(["SNAPSHOT", "READY"]);
    expect(view.getByTestId("gantt-pause").getAttribute("data-seconds")).toBe("30");
    expect(view.getByTestId("gantt-stage").getAttribute("data-stage")).toBe("POST");
    expect(view.getByTestId("gantt-chart").textContent).toContain("Wave 1 · DB");
    expect(view.getByTestId("gantt-chart").textContent).toContain("RTO target 10m");
    // A running wave's bar is dashed and reaches the chart's live edge
    expect(bars[1].getAttribute("stroke-dasharray")).toBe("4 3");
    // The bars sit where their offsets say: the first wave's bar spans 300 of 612 seconds of the plot
    const width = Number(bars[0].getAttribute("width"));
    expect(width).toBeCloseTo((300 / 612) * 770, 1);
  });

  it("says there is nothing to draw without a start", () => {
    const view = render(<GanttChart gantt={{ ...GANTT, start: null, description: "No start time recorded: nothing to draw." }} executionId="e-1" />);
    expect(view.getByTestId("gantt-empty").textContent).toContain("nothing to draw");
  });
});

describe("serverLabel", () => {
  it.each([
    [{ hostname: "db01", sourceServerId: "s-5d3bf5b6e7dac85d1" }, "db01 (s-5d3bf5b6e7dac85d1)"],
    [{ hostname: null, sourceServerId: "s-1" }, "s-1"],
    [{ hostname: "s-1", sourceServerId: "s-1" }, "s-1"],
  ])("names %o as %s", (server, shown) => expect(serverLabel(server)).toBe(shown));
});

describe("GroupDetailPage", () => {
  it("shows the servers with replication and lag, the plans using the group and its executions", async () => {
    const { fetcher } = fakeFetch({
      "GET /protection-groups/g-1": [200, { groupId: "g-1", name: "databases", sourceServerIds: ["s-1", "s-2"] }],
      "GET /protection-groups/g-1/servers": [
        200,
        {
          groupId: "g-1",
          items: [
            { sourceServerId: "s-1", hostname: "db01", found: true, impactLevel: "CRITICAL", replicationState: "CONTINUOUS", replicationHealthy: true, lagDuration: "PT0S", lagSeconds: 0, lastLaunchResult: "SUCCEEDED", tags: {} },
            { sourceServerId: "s-2", hostname: "db02", found: true, impactLevel: "OPTIONAL", replicationState: "STALLED", replicationHealthy: false, lagDuration: "PT3600S", lagSeconds: 3600, lastLaunchResult: null, tags: {} },
          ],
        },
      ],
      "GET /protection-groups/g-1/usage": [
        200,
        {
          groupId: "g-1",
          plans: [{ planId: "p-1", name: "shop", waves: [{ waveNumber: 1, waveName: "DB" }] }],
          executions: [
            { executionId: "e-1", planId: "p-1", planName: "shop", executionType: "DRILL", status: "COMPLETED", statusLabel: "COMPLETED", startTime: "2026-01-01T10:00:00.000Z", endTime: "2026-01-01T10:05:00.000Z", totalWaves: 1, completedWaves: 1, durationSeconds: 300, progress: { totalServers: 2, launched: 2, converting: 0, ready: 2, failed: 0 } },
          ],
        },
      ],
    });
    const view = renderAt(<GroupDetailPage />, {
      path: "/protection-groups/g-1",
      route: "/protection-groups/:groupId",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("db01 (s-1)");
    const page = createWrapper(view.container);
    const servers = page.findTable('[data-testid="group-servers"]')!;
    expect(servers.findBodyCell(2, 1)!.getElement().textContent).toBe("db02 (s-2)");
    expect(servers.findBodyCell(1, 3)!.getElement().textContent).toBe("CONTINUOUS");
    expect(servers.findBodyCell(2, 3)!.getElement().textContent).toBe("STALLED");
    expect(servers.findBodyCell(1, 4)!.getElement().textContent).toBe("0 s");
    expect(servers.findBodyCell(2, 4)!.getElement().textContent).toBe("1 h 0 min");
    expect(view.getByTestId("group-replication").textContent).toContain("1 of 2 not healthy");
    await waitFor(() =>
      expect(page.findTable('[data-testid="group-plans"]')!.findBodyCell(1, 2)?.getElement().textContent).toBe("1 (DB)"),
    );
    expect(page.findTable('[data-testid="group-executions"]')!.getElement().textContent).toContain("e-1");
  });
});

describe("RunningInstancesPage", () => {
  it("lists the drills whose instances run, for how long, and terminates the one selected", async () => {
    const item = {
      executionId: "e-1",
      planId: "p-1",
      planName: "shop",
      executionType: "DRILL",
      status: "COMPLETED",
      startTime: "2026-01-01T10:00:00.000Z",
      endTime: "2026-01-01T10:05:00.000Z",
      runningSince: "2026-01-01T10:03:00.000Z",
      runningSeconds: 7260,
      instanceCount: 1,
      servers: [{ sourceServerId: "s-1", hostname: "db01", label: "db01 (s-1)", ec2InstanceId: "i-1", ec2State: "running", launchTime: "2026-01-01T10:03:00.000Z" }],
      canTerminate: { canTerminate: true, reason: null, hasRecoveryInstances: true },
    };
    const { fetcher, calls } = fakeFetch({
      "GET /running-instances": [200, { items: [item], generatedAt: "2026-01-01T12:04:00.000Z" }],
      "POST /executions/e-1/terminate-instances": [202, {}],
    });
    const view = renderAt(<RunningInstancesPage />, {
      path: "/running-instances",
      route: "/running-instances",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("db01 (s-1)");
    expect(view.getByTestId("running-server").textContent).toBe("db01 (s-1)i-1");
    expect(view.getByTestId("running-for").textContent).toBe("2 h 1 min");
    expect(view.getByTestId("instance-count").textContent).toBe("1");
    const page = createWrapper(view.container);
    act(() => page.findTable('[data-testid="running-instances"]')!.findRowSelectionArea(1)!.click());
    act(() => page.findButton('[data-testid="terminate-selected"]')!.click());
    act(() => createWrapper(document.body).findButton('[data-testid="confirm-ok"]')!.click());
    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.filter((c) => c.method === "POST").map((c) => c.url)).toEqual(["/executions/e-1/terminate-instances"]);
  });
});

describe("openReport of a stored report", () => {
  it("sends the tab to the API's presigned link, not to a blob: URL", async () => {
    const url = "https://reports.s3.amazonaws.com/reports/p/e-1/report.html?X-Amz-Signature=abc";
    const { fetcher, calls } = fakeFetch({
      "GET /executions/e-1/report-link": [200, { url, expiresAt: "2026-01-01T10:05:00.000Z", expiresInSeconds: 300 }],
    });
    const tab = { opener: {}, location: { href: "" }, document: document.implementation.createHTMLDocument(""), close: vi.fn() };
    const win = { open: vi.fn(() => tab) } as unknown as Window;
    await openReport(new Api("", fetcher), "e-1", win, true);
    expect(tab.location.href).toBe(url);
    expect(tab.opener).toBeNull();
    expect(calls.map((c) => c.url)).toEqual(["/executions/e-1/report-link"]);
  });
});
