// Readiness and evidence across drills in the console: the API's verdict and checks shown as they
// are (failures first, servers by hostname with their id), every plan's readiness read a few at a
// time, the drill trend's points and percentiles as the API gives them, and "never drilled".
import { act, screen, waitFor, within } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import { describe, expect, it } from "vitest";
import {
  checkIndicator,
  checkName,
  checksInOrder,
  mapLimit,
  problemsText,
  trendIndicator,
  trendPoints,
  verdictCounts,
  verdictIndicator,
  type DrillHistory,
  type PlanReadiness,
  type ReadinessCheck,
} from "../src/api/readiness";
import { statsText } from "../src/components/DrillTrend";
import { neverDrilled, withLastDrill } from "../src/components/LastDrilled";
import { checkServer, PlanReadinessPanel } from "../src/components/Readiness";
import { READINESS_CONCURRENCY, readinessOfPlans } from "../src/components/ReadinessOverview";
import { GroupEditorPage } from "../src/pages/GroupEditor";
import { sandboxSession } from "../src/session";
import { fakeFetch, renderAt } from "./setup";

const check = (status: ReadinessCheck["status"], name: ReadinessCheck["check"], message: string, sourceServerId?: string) =>
  ({ check: name, status, message, ...(sourceServerId ? { sourceServerId } : {}) }) as ReadinessCheck;

describe("readiness verdicts and checks", () => {
  it.each([
    ["READY", "success", "Ready"],
    ["AT_RISK", "warning", "At risk"],
    ["NOT_READY", "error", "Not ready"],
  ] as const)("shows the verdict %s as a %s indicator reading %s", (verdict, type, text) => {
    expect(verdictIndicator(verdict)).toEqual({ type, text });
  });

  it.each([
    ["PASS", "success"],
    ["WARN", "warning"],
    ["FAIL", "error"],
  ] as const)("shows a %s check as %s", (status, type) => {
    expect(checkIndicator(status).type).toBe(type);
  });

  it("names checks in words, keeping RTO in capitals", () => {
    expect(checkName("SERVERS_REPLICATE")).toBe("Servers replicate");
    expect(checkName("LAST_DRILL_RTO")).toBe("Last drill RTO");
  });

  it("lists failures, then warnings, then passes, each in the API's order", () => {
    const checks = [
      check("PASS", "SERVERS_REPLICATE", "a"),
      check("WARN", "REPLICATION_LAG", "b"),
      check("FAIL", "LAUNCH_SETTINGS", "c"),
      check("WARN", "DRILL_AGE", "d"),
    ];
    expect(checksInOrder(checks).map((c) => c.message)).toEqual(["c", "b", "d", "a"]);
  });

  it("says what did not pass in one line, the first three then how many more", () => {
    const checks = ["a", "b", "c", "d", "e"].map((m) => check("FAIL", "SERVERS_REPLICATE", m));
    expect(problemsText([check("PASS", "DRILL_AGE", "fine"), ...checks])).toBe("a; b; c; and 2 more");
    expect(problemsText([check("WARN", "DRILL_AGE", "never drilled")])).toBe("never drilled");
  });

  it("names a check's server by hostname with its id, and a plan-wide check with a dash", () => {
    const hostnames = new Map([["s-1", "db01"]]);
    expect(checkServer(check("FAIL", "SERVERS_REPLICATE", "x", "s-1"), hostnames)).toBe("db01 (s-1)");
    expect(checkServer(check("FAIL", "SERVERS_REPLICATE", "x", "s-2"), hostnames)).toBe("s-2");
    expect(checkServer(check("WARN", "DRILL_AGE", "x"), hostnames)).toBe("-");
  });

  it("counts the plans per verdict, leaving out those that could not be read", () => {
    expect(verdictCounts(["READY", "AT_RISK", "READY", null, "NOT_READY"])).toEqual({ READY: 2, AT_RISK: 1, NOT_READY: 1 });
  });
});

describe("mapLimit", () => {
  it("never runs more than the limit at once, and keeps each result (or error) in its item's place", async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      if (n === 4) throw new Error("four");
      return n * 10;
    });
    expect(most).toBe(3);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      10, 20, 30, "four", 50, 60, 70,
    ]);
  });

  it("answers an empty list without calling anything", async () => {
    expect(await mapLimit([], 3, async () => 1)).toEqual([]);
  });
});

describe("readinessOfPlans", () => {
  it("reads every plan's readiness at most READINESS_CONCURRENCY at a time and keeps a plan's error", async () => {
    let running = 0;
    let most = 0;
    const plans = Array.from({ length: 8 }, (_, i) => ({ planId: `p-${i}`, name: `plan ${i}` }));
    const rows = await readinessOfPlans(async (planId) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      if (planId === "p-2") throw new Error("the API could not be reached");
      return { planId, planName: planId, verdict: "READY", checkedAt: "2026-12-07T20:00:00Z", checks: [] } as PlanReadiness;
    }, plans);
    expect(most).toBe(READINESS_CONCURRENCY);
    expect(rows[2]).toMatchObject({ planId: "p-2", readiness: null, error: "the API could not be reached" });
    expect(rows.filter((r) => r.readiness?.verdict === "READY")).toHaveLength(7);
  });
});

const recovery = (seconds: number | null) => ({ seconds, pausedSeconds: 0, activeSeconds: seconds, targetSeconds: 3600, met: seconds === null ? false : true });

describe("the drill trend", () => {
  it("plots each measured drill oldest first with the API's seconds, leaving out drills not recovered", () => {
    const history = {
      drills: [
        { executionId: "e-3", startTime: "2026-12-07T12:00:00Z", recoveryTime: recovery(301) },
        { executionId: "e-2", startTime: "2026-12-06T12:00:00Z", recoveryTime: recovery(null) },
        { executionId: "e-1", startTime: "2026-12-05T12:00:00Z", recoveryTime: recovery(250) },
      ],
    } as unknown as DrillHistory;
    expect(trendPoints(history)).toEqual([
      { executionId: "e-1", startTime: "2026-12-05T12:00:00Z", seconds: 250 },
      { executionId: "e-3", startTime: "2026-12-07T12:00:00Z", seconds: 301 },
    ]);
  });

  it("shows the API's p50 and p95 formatted as the execution page formats durations", () => {
    expect(statsText({ drills: 3, p50Seconds: 250, p95Seconds: 3725 })).toBe("p50 4 min 10 s · p95 1 h 2 min (3 drills)");
    expect(statsText({ drills: 1, p50Seconds: 59, p95Seconds: 59 })).toBe("p50 59 s · p95 59 s (1 drill)");
    expect(statsText({ drills: 0, p50Seconds: null, p95Seconds: null })).toBe("No measured drill");
  });

  it.each([
    ["FASTER", "success"],
    ["SLOWER", "warning"],
    ["STEADY", "info"],
    ["UNKNOWN", "pending"],
  ] as const)("shows the trend %s as %s", (trend, type) => {
    expect(trendIndicator(trend).type).toBe(type);
  });
});

describe("last drilled", () => {
  const drills = new Map([
    ["s-1", { lastDrilledTime: "2026-12-07T20:42:53Z", lastDrillOutcome: "RECOVERED" as const, lastDrillExecutionId: "e-1" }],
    ["s-2", { lastDrilledTime: null, lastDrillOutcome: null, lastDrillExecutionId: null }],
  ]);
  const servers = [{ sourceServerId: "s-1" }, { sourceServerId: "s-2" }, { sourceServerId: "s-3" }];

  it("keeps only the servers no drill launched when asked, by the API's lastDrilledTime", () => {
    expect(withLastDrill(servers, drills, true).map((s) => s.sourceServerId)).toEqual(["s-2", "s-3"]);
    expect(withLastDrill(servers, drills, false)).toHaveLength(3);
    expect(neverDrilled(drills.get("s-1"))).toBe(false);
  });

  it("calls no server never drilled before the drills are known", () => {
    expect(withLastDrill(servers, null, true)).toEqual([]);
  });
});

describe("PlanReadinessPanel", () => {
  it("shows the API's verdict, when it was checked and every check, failures first, servers by hostname", async () => {
    const { fetcher, calls } = fakeFetch({
      "GET /recovery-plans/p-1/readiness": [
        200,
        {
          planId: "p-1",
          planName: "plan",
          verdict: "NOT_READY",
          checkedAt: "2026-12-07T20:42:53Z",
          checks: [
            { check: "SERVERS_REPLICATE", status: "PASS", message: "every server replicates" },
            { check: "SERVERS_REPLICATE", status: "FAIL", message: "s-2 is STOPPED", sourceServerId: "s-2" },
          ],
        },
      ],
      "GET /drs/source-servers": [200, { items: [{ sourceServerId: "s-2", hostname: "db02", tags: {}, isArchived: false, lastDrilledTime: null, lastDrillOutcome: null }] }],
    });
    const view = renderAt(<PlanReadinessPanel planId="p-1" />, {
      path: "/recovery-plans/p-1",
      route: "/recovery-plans/:planId",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("Not ready");
    expect(screen.getByTestId("readiness-checked-at").textContent).toBe("2026-12-07 20:42:53 UTC");
    const table = createWrapper(view.container).findTable('[data-testid="readiness-checks"]')!;
    await waitFor(() => expect(table.findBodyCell(1, 4)!.getElement().textContent).toBe("db02 (s-2)"));
    expect(table.findBodyCell(1, 2)!.getElement().textContent).toBe("Fail");
    expect(table.findBodyCell(2, 3)!.getElement().textContent).toBe("every server replicates");
    // When the operator checks again, the API is asked again
    const before = calls.filter((c) => c.url.endsWith("/readiness")).length;
    createWrapper(view.container).findButton('[data-testid="readiness-refresh"]')!.click();
    await waitFor(() => expect(calls.filter((c) => c.url.endsWith("/readiness")).length).toBe(before + 1));
  });

  it("says why when the readiness cannot be read", async () => {
    const { fetcher } = fakeFetch({
      "GET /recovery-plans/p-1/readiness": [404, { error: { code: "PLAN_NOT_FOUND", message: "no recovery plan p-1" } }],
      "GET /drs/source-servers": [200, { items: [] }],
    });
    renderAt(<PlanReadinessPanel planId="p-1" />, {
      path: "/recovery-plans/p-1",
      route: "/recovery-plans/:planId",
      session: sandboxSession("", fetcher),
    });
    expect((await screen.findByTestId("readiness-error")).textContent).toContain("no recovery plan p-1");
  });
});

describe("the group editor's server picker", () => {
  it("shows when each server was last drilled and keeps only those never drilled when asked", async () => {
    const { fetcher } = fakeFetch({
      "GET /drs/source-servers": [
        200,
        {
          items: [
            {
              sourceServerId: "s-1",
              hostname: "db01",
              tags: {},
              replicationState: "CONTINUOUS",
              isArchived: false,
              lastDrilledTime: "2026-12-07T20:42:53Z",
              lastDrillOutcome: "RECOVERED",
              lastDrillExecutionId: "e-1",
            },
            {
              sourceServerId: "s-2",
              hostname: "web01",
              tags: {},
              replicationState: "CONTINUOUS",
              isArchived: false,
              lastDrilledTime: null,
              lastDrillOutcome: null,
              lastDrillExecutionId: null,
            },
          ],
        },
      ],
    });
    const view = renderAt(<GroupEditorPage />, {
      path: "/protection-groups/new",
      route: "/protection-groups/new",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("db01");
    const picker = () => createWrapper(view.container).findTable('[data-testid="server-picker"]')!;
    const drilled = within(picker().findRows()[0].getElement()).getByTestId("last-drilled");
    expect(drilled.textContent).toContain("2026-12-07 20:42:53 UTC");
    expect(drilled.textContent).toContain("Recovered");
    expect(within(picker().findRows()[1].getElement()).getByTestId("last-drilled").textContent).toBe("Never drilled");
    // When the operator keeps only the servers never drilled
    act(() => createWrapper(view.container).findToggle('[data-testid="never-drilled-filter"]')!.findNativeInput().click());
    await waitFor(() => expect(picker().findRows()).toHaveLength(1));
    expect(picker().findRows()[0].getElement().textContent).toContain("web01");
  });
});
