import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import { describe, expect, it } from "vitest";
import { Api } from "../src/api/client";
import { ExecutionStatusIndicator } from "../src/components/Status";
import { ExecutionActions, ExecutionDetailPage, WaveCard } from "../src/pages/ExecutionDetail";
import { GroupEditorPage } from "../src/pages/GroupEditor";
import { PlanDetailPage } from "../src/pages/Plans";
import { capabilitiesOf, sandboxSession, type Session } from "../src/session";
import { execution } from "./fixtures";
import { actionsMenuItem, fakeFetch, renderAt } from "./setup";

function buttons(container: HTMLElement) {
  const w = createWrapper(container);
  const state = (id: string) => {
    const b = w.findButton(`[data-testid="action-${id}"]`);
    return b ? !(b.getElement() as HTMLButtonElement).disabled : null;
  };
  return {
    pause: state("pause"),
    resume: state("resume"),
    cancel: actionsMenuItem(container, "action-cancel"),
    terminate: actionsMenuItem(container, "action-terminate"),
  };
}

function session(role: Session["role"], fetcher?: ReturnType<typeof fakeFetch>["fetcher"]): Session {
  return { ...sandboxSession("", fetcher), role, can: capabilitiesOf(role) };
}

describe("ExecutionStatusIndicator", () => {
  it("shows the API's label with the status's indicator type, not colour alone", () => {
    const { container } = renderAt(
      <ExecutionStatusIndicator status="PARTIAL_SUCCESS" label="PARTIAL SUCCESS (1 of 3 waves completed)" />,
      { path: "/", route: "/" },
    );
    const indicator = createWrapper(container).findStatusIndicator()!;
    expect(indicator.getElement().textContent).toBe("PARTIAL SUCCESS (1 of 3 waves completed)");
    expect(indicator.getElement().outerHTML).toMatch(/status-warning/);
  });
});

describe("WaveCard", () => {
  const wave = {
    waveNumber: 2,
    waveName: "App",
    status: "FAILED",
    phase: null,
    jobIds: [],
    warnings: [],
    durationSeconds: null,
    error: "critical servers failed: s-0000000000000a01",
    failedServers: [
      { sourceServerId: "s-0000000000000a01", hostname: "app01", error: "LAUNCH_FAILED: no capacity", impactLevel: "CRITICAL" },
    ],
  };
  it("shows each failed server's own error with the wave's error", () => {
    renderAt(<WaveCard wave={wave} />, { path: "/", route: "/" });
    const alert = screen.getByTestId("wave-error");
    expect(alert.textContent).toContain("critical servers failed");
    expect(alert.textContent).toContain("app01 (s-0000000000000a01), CRITICAL: LAUNCH_FAILED: no capacity");
  });
  it("lists an OPTIONAL server that failed in a wave without an error as a warning", () => {
    const optional = { ...wave, status: "COMPLETED", error: null, failedServers: [{ ...wave.failedServers[0], impactLevel: "OPTIONAL" }] };
    renderAt(<WaveCard wave={optional} />, { path: "/", route: "/" });
    expect(screen.queryByTestId("wave-error")).toBeNull();
    expect(screen.getByTestId("wave-2-failed-servers").textContent).toContain("OPTIONAL: LAUNCH_FAILED: no capacity");
  });
});

describe("ExecutionActions", () => {
  const yes = { canTerminate: true, reason: null, hasRecoveryInstances: true };
  it("enables Resume and Cancel only while PAUSED", () => {
    const paused = execution("PAUSED", ["COMPLETED", "NOT_STARTED"], { pausedBeforeWave: 2 });
    const { container } = renderAt(<ExecutionActions execution={paused} onAction={() => undefined} />, {
      path: "/",
      route: "/",
    });
    expect(buttons(container)).toEqual({ pause: false, resume: true, cancel: true, terminate: false });
  });

  it("enables Terminate exactly when the API says canTerminate", () => {
    const done = execution("COMPLETED", ["COMPLETED"], { canTerminate: yes });
    const { container } = renderAt(<ExecutionActions execution={done} onAction={() => undefined} />, {
      path: "/",
      route: "/",
    });
    expect(buttons(container)).toEqual({ pause: false, resume: false, cancel: false, terminate: true });
  });

  it("hides actions from Viewers and a RECOVERY's terminate from Operators", () => {
    const done = execution("COMPLETED", ["COMPLETED"], { canTerminate: yes, executionType: "RECOVERY" });
    const viewer = renderAt(<ExecutionActions execution={done} onAction={() => undefined} />, {
      path: "/",
      route: "/",
      session: session("Viewers"),
    });
    expect(buttons(viewer.container)).toEqual({ pause: null, resume: null, cancel: null, terminate: null });
    viewer.unmount();
    const operator = renderAt(<ExecutionActions execution={done} onAction={() => undefined} />, {
      path: "/",
      route: "/",
      session: session("Operators"),
    });
    expect(buttons(operator.container).terminate).toBeNull();
    expect(buttons(operator.container).cancel).toBe(false);
  });
});

describe("ExecutionDetailPage", () => {
  it("terminates a RECOVERY's instances only with the plan's name typed, on the recovery route", async () => {
    const record = execution("PARTIAL_SUCCESS", ["COMPLETED", "CANCELLED"], {
      executionType: "RECOVERY",
      statusLabel: "PARTIAL SUCCESS (1 of 2 waves completed)",
      canTerminate: { canTerminate: true, reason: null, hasRecoveryInstances: true },
    });
    const { fetcher, calls } = fakeFetch({
      "GET /executions/e-1": [200, record],
      "GET /executions/e-1/servers": [200, { items: [], nextToken: null }],
      "POST /executions/e-1/terminate-recovery-instances": [202, { ...record, terminationStatus: "IN_PROGRESS" }],
    });
    const { container } = renderAt(<ExecutionDetailPage />, {
      path: "/executions/e-1",
      route: "/executions/:executionId",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("PARTIAL SUCCESS (1 of 2 waves completed)");
    const page = createWrapper(container);
    expect(page.findStatusIndicator('[data-status="PARTIAL_SUCCESS"]')!.getElement().outerHTML).toMatch(/status-warning/);
    expect(actionsMenuItem(container, "action-terminate", true)).toBe(true);
    const modal = createWrapper().findModal()!;
    const ok = modal.findFooter()!.findButton('[data-testid="confirm-ok"]')!;
    expect((ok.getElement() as HTMLButtonElement).disabled).toBe(true);
    act(() => modal.findContent().findInput()!.setInputValue("3TierRecoveryPlan"));
    expect((ok.getElement() as HTMLButtonElement).disabled).toBe(false);
    act(() => ok.click());
    await waitFor(() =>
      expect(calls.find((c) => c.method === "POST")).toEqual({
        method: "POST",
        url: "/executions/e-1/terminate-recovery-instances",
        body: { confirmPlanName: "3TierRecoveryPlan" },
      }),
    );
  });
});

describe("PlanDetailPage", () => {
  const plan = {
    planId: "p-1",
    name: "3TierRecoveryPlan",
    waves: [{ waveName: "DB", protectionGroupIds: ["g-1"] }],
  };
  const routes = (extra: Record<string, [number, unknown]> = {}) =>
    fakeFetch({
      "GET /recovery-plans/p-1": [200, plan],
      "GET /protection-groups": [200, { items: [{ groupId: "g-1", name: "DatabaseServers" }] }],
      "GET /executions": [200, { items: [], nextToken: null }],
      ...extra,
    });

  it("starts a RECOVERY only with the plan's name typed, on the recovery route", async () => {
    const { fetcher, calls } = routes({
      "POST /recovery-plans/p-1/recovery": [202, { executionId: "e-9", status: "PENDING" }],
    });
    const { container } = renderAt(<PlanDetailPage />, {
      path: "/recovery-plans/p-1",
      route: "/recovery-plans/:planId",
      session: session("Administrators", fetcher),
    });
    await screen.findByText("DatabaseServers");
    act(() => createWrapper(container).findButton('[data-testid="start-recovery"]')!.click());
    const modal = createWrapper().findModal()!;
    const ok = modal.findFooter()!.findButton('[data-testid="confirm-ok"]')!;
    expect((ok.getElement() as HTMLButtonElement).disabled).toBe(true);
    act(() => modal.findContent().findInput()!.setInputValue("3tierrecoveryplan"));
    expect((ok.getElement() as HTMLButtonElement).disabled).toBe(true);
    act(() => modal.findContent().findInput()!.setInputValue("3TierRecoveryPlan"));
    expect((ok.getElement() as HTMLButtonElement).disabled).toBe(false);
    act(() => ok.click());
    await screen.findByTestId("navigated");
    expect(calls.filter((c) => c.method === "POST")).toEqual([
      { method: "POST", url: "/recovery-plans/p-1/recovery", body: { confirmPlanName: "3TierRecoveryPlan" } },
    ]);
  });

  it("starts a drill on the executions route, and offers Operators no recovery", async () => {
    const { fetcher, calls } = routes({
      "POST /recovery-plans/p-1/executions": [202, { executionId: "e-8", status: "PENDING" }],
    });
    const { container } = renderAt(<PlanDetailPage />, {
      path: "/recovery-plans/p-1",
      route: "/recovery-plans/:planId",
      session: session("Operators", fetcher),
    });
    await screen.findByText("DatabaseServers");
    const page = createWrapper(container);
    expect(page.findButton('[data-testid="start-recovery"]')).toBeNull();
    act(() => page.findButton('[data-testid="start-drill"]')!.click());
    act(() => createWrapper().findModal()!.findFooter()!.findButton('[data-testid="confirm-ok"]')!.click());
    await screen.findByTestId("navigated");
    expect(calls.filter((c) => c.method === "POST")).toEqual([
      { method: "POST", url: "/recovery-plans/p-1/executions", body: { executionType: "DRILL" } },
    ]);
  });
});

describe("GroupEditorPage", () => {
  it("shows the API's validation error on the field it names", async () => {
    const { fetcher } = fakeFetch({
      "GET /drs/source-servers": [
        200,
        { items: [{ sourceServerId: "s-0123456789abcdef0", hostname: "db01", tags: { Tier: "db" }, replicationState: "CONTINUOUS" }] },
      ],
      "POST /protection-groups": [
        422,
        {
          error: {
            code: "VALIDATION_ERROR",
            message: "invalid name: name must not start or end with white space nor contain control characters",
            details: { field: "name" },
          },
        },
      ],
    });
    const { container } = renderAt(<GroupEditorPage />, {
      path: "/protection-groups/new",
      route: "/protection-groups/new",
      session: sandboxSession("", fetcher),
    });
    const page = createWrapper(container);
    await screen.findByText("db01");
    act(() => page.findInput('[data-testid="group-name"]')!.setInputValue("evil\u202ename"));
    act(() => page.findButton('[data-testid="save-group"]')!.click());
    await waitFor(() =>
      expect(page.findFormField('[data-testid="field-name"]')!.findError()?.getElement().textContent).toMatch(
        /^Name must not start or end with white space/,
      ),
    );
    // The typed text stays text: no markup is ever interpreted.
    expect(container.querySelector("script")).toBeNull();
  });

  it("sends the servers picked in the server picker", async () => {
    const { fetcher, calls } = fakeFetch({
      "GET /drs/source-servers": [
        200,
        { items: [{ sourceServerId: "s-0123456789abcdef0", hostname: "db01", tags: {}, replicationState: "CONTINUOUS" }] },
      ],
      "POST /protection-groups": [201, { groupId: "g-1", name: "db" }],
    });
    const { container } = renderAt(<GroupEditorPage />, {
      path: "/protection-groups/new",
      route: "/protection-groups/new",
      session: sandboxSession("", fetcher),
    });
    const page = createWrapper(container);
    await screen.findByText("db01");
    act(() => page.findInput('[data-testid="group-name"]')!.setInputValue("db"));
    const picker = page.findTable('[data-testid="server-picker"]')!;
    act(() => fireEvent.click(picker.findRowSelectionArea(1)!.getElement()));
    act(() => page.findButton('[data-testid="save-group"]')!.click());
    await waitFor(() =>
      expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "db", sourceServerIds: ["s-0123456789abcdef0"] }),
    );
  });
});

describe("Api", () => {
  it("turns an error body into an ApiError with its field", async () => {
    const { fetcher } = fakeFetch({
      "POST /recovery-plans": [422, { error: { code: "VALIDATION_ERROR", message: "m", details: { field: "waves[0].waveName" } } }],
    });
    await expect(new Api("", fetcher).createPlan({ name: "x", waves: [] })).rejects.toMatchObject({
      status: 422,
      code: "VALIDATION_ERROR",
      field: "waves[0].waveName",
    });
  });
});
