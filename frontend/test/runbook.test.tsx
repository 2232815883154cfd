// The recovery runbook in the console (issue 11): each wave's actions as they ran, why an execution
// is PAUSED with the buttons that move it on (retry, skip, approve, resume with a comment), SKIPPED
// waves, hostile action output shown as text, and the plan editor's pre- and post-actions.
import { act, screen, waitFor } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import { describe, expect, it } from "vitest";
import type { Execution, WaveAction } from "../src/api/types";
import { ExecutionActions, ExecutionDetailPage, WaveCard } from "../src/pages/ExecutionDetail";
import { PlanEditorPage } from "../src/pages/PlanEditor";
import { capabilitiesOf, sandboxSession, type Role } from "../src/session";
import { allowedActions, pauseReasonText, phaseText, waveIndicator, waveOfText } from "../src/status";
import { execution, wave } from "./fixtures";
import { actionsMenuItem, fakeFetch, renderAt } from "./setup";

const HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>[bold]x[/] \u001b[31mred\u001b[0m &amp;';

function act_(name: string, extra: Partial<WaveAction> = {}): WaveAction {
  return { name, type: "LAMBDA", stage: "POST", status: "SUCCEEDED", attempts: 1, maxAttempts: 1, onFailure: "FAIL", ...extra };
}

/** DB done, App failed in its post-actions (the plan pauses on a failed wave), Web not started. */
function failedWave(extra: Partial<Execution> = {}): Execution {
  const record = execution("PAUSED", ["COMPLETED", "FAILED", "NOT_STARTED"], {
    pauseReason: "WAVE_FAILED",
    pausedWave: 2,
    statusLabel: "PAUSED (wave 2 of 3 failed: retry, skip or cancel)",
    ...extra,
  });
  record.waves[1] = {
    ...record.waves[1],
    error: "post-action smoke-test failed: HTTP 503",
    actions: [
      act_("drain", { stage: "PRE", type: "SSM_COMMAND" }),
      act_("smoke-test", { status: "FAILED", attempts: 3, maxAttempts: 3, error: "HTTP 503" }),
    ],
  };
  return record;
}

function page(record: Execution, routes: Record<string, [number, unknown]> = {}) {
  const fake = fakeFetch({
    "GET /executions/e-1": [200, record],
    "GET /executions/e-1/servers": [200, { items: [], nextToken: null }],
    ...routes,
  });
  const view = renderAt(<ExecutionDetailPage />, {
    path: "/executions/e-1",
    route: "/executions/:executionId",
    session: sandboxSession("", fake.fetcher),
  });
  return { ...fake, view, wrapper: createWrapper(view.container) };
}

const modal = () => createWrapper().findModal()!;
const posts = (calls: { method: string; url: string; body: unknown }[]) =>
  calls.filter((c) => c.method === "POST").map((c) => [c.url, c.body]);

describe("status rules of the runbook", () => {
  it("shows SKIPPED waves with an indicator of their own and names the action phases", () => {
    const others = ["COMPLETED", "FAILED", "CANCELLED", "IN_PROGRESS", "NOT_STARTED"].map(waveIndicator);
    expect(waveIndicator("SKIPPED")).toBe("warning");
    expect(others).not.toContain("warning");
    expect(phaseText("PRE_ACTIONS")).toBe("Pre-actions");
    expect(phaseText("POST_ACTIONS")).toBe("Post-actions");
    expect(phaseText("CONVERTING")).toBe("Converting");
  });

  it.each([
    [{ pauseReason: "WAVE_FAILED", pausedWave: 2 }, "wave 2 (App) failed; retry it, skip it or cancel the execution", "wave 2 of 3"],
    [
      { pauseReason: "APPROVAL", pausedWave: 3, pausedAction: "app-owner-sign-off" },
      "waiting for approval of app-owner-sign-off in wave 3 (Web); approve to continue",
      "wave 3 of 3",
    ],
    [{ pauseReason: "BEFORE_WAVE", pausedBeforeWave: 3, pausedWave: 3 }, "the plan pauses before wave 3 (Web); resume to continue", "before wave 3 of 3"],
    [{ pauseReason: "OPERATOR", pausedBeforeWave: 2 }, "paused by an operator before wave 2 (App); resume to continue", "before wave 2 of 3"],
  ] as const)("says why it is paused: %j", (extra, text, waveOf) => {
    const paused = execution("PAUSED", ["COMPLETED", "NOT_STARTED", "NOT_STARTED"], extra);
    expect(pauseReasonText(paused)).toBe(text);
    expect(waveOfText(paused)).toBe(waveOf);
  });

  it.each([
    // reason, resume, approve, retry, skip
    ["WAVE_FAILED", false, false, true, true],
    ["APPROVAL", false, true, false, false],
    ["BEFORE_WAVE", true, false, false, false],
    ["OPERATOR", true, false, false, false],
  ])("offers what the API allows for a %s pause", (pauseReason, resume, approve, retry, skip) => {
    const paused = execution("PAUSED", ["FAILED", "NOT_STARTED"], { pauseReason });
    expect(allowedActions(paused)).toMatchObject({ resume, approve, retry, skip, cancel: true, pause: false });
  });

  it("offers no retry or skip unless PAUSED by a failed wave", () => {
    const running = execution("IN_PROGRESS", ["FAILED", "NOT_STARTED"], { pauseReason: "WAVE_FAILED" });
    expect(allowedActions(running)).toMatchObject({ retry: false, skip: false, approve: false });
  });
});

describe("WaveCard actions", () => {
  it("shows an action a cancel stopped as Cancelled (grey, never an error) and a scheduled retry with its time", () => {
    const when = "2026-01-01T00:02:00Z";
    const w = wave(1, "CANCELLED", {
      actions: [
        act_("sign-off", { type: "APPROVAL", status: "CANCELLED", attempts: 1 }),
        act_("health", { status: "RETRY_SCHEDULED", attempts: 1, maxAttempts: 3, nextAttemptAt: when, error: "refused" }),
      ],
    });
    const { container } = renderAt(<WaveCard wave={w} />, { path: "/", route: "/" });
    const table = createWrapper(container).findTable('[data-testid="wave-1-actions"]')!;
    const cancelled = table.findBodyCell(1, 4)!.findStatusIndicator()!;
    expect(cancelled.getElement().textContent).toBe("Cancelled");
    expect(cancelled.getElement().outerHTML).toMatch(/status-stopped/);
    expect(cancelled.getElement().outerHTML).not.toMatch(/status-error/);
    const retry = table.findBodyCell(2, 4)!.findStatusIndicator()!;
    expect(retry.getElement().textContent).toBe("Retry scheduled (attempt 2 of 3 at 2026-01-01 00:02:00 UTC)");
    expect(retry.getElement().outerHTML).toMatch(/status-warning/);
  });


  it("lists each action with stage, name, type, status, attempts, error and the approval", () => {
    const w = wave(2, "IN_PROGRESS", {
      phase: "POST_ACTIONS",
      retries: 1,
      actions: [
        act_("stop-batch", { stage: "PRE", type: "SSM_COMMAND", startTime: "2026-01-01T00:00:00Z", endTime: "2026-01-01T00:01:05Z" }),
        act_("smoke-test", { status: "FAILED", attempts: 2, maxAttempts: 3, error: "HTTP 503" }),
        act_("sign-off", { type: "APPROVAL", approvedBy: "arn:aws:iam::1:user/ana", comment: "looks good" }),
        act_("soak", { type: "WAIT", status: "RUNNING", attempts: 1 }),
      ],
    });
    const { container } = renderAt(<WaveCard wave={w} />, { path: "/", route: "/" });
    const card = createWrapper(container);
    expect(card.findStatusIndicator('[data-status="IN_PROGRESS"]')!.getElement().textContent).toBe("In progress (Post-actions)");
    expect(screen.getByTestId("wave-2-description").textContent).toContain("Retried 1 time");
    const table = card.findTable('[data-testid="wave-2-actions"]')!;
    const rows = table.findRows().map((r) => r.findAll("td").map((c) => c.getElement().textContent));
    expect(rows[0].slice(0, 7)).toEqual(["stop-batch", "Pre", "SSM_COMMAND", "Succeeded", "1/1", expect.any(String), "1 min 5 s"]);
    expect(rows[1].slice(0, 5)).toEqual(["smoke-test", "Post", "LAMBDA", "Failed", "2/3"]);
    expect(rows[1][7]).toBe("HTTP 503");
    expect(rows[2][7]).toBe("Approved by arn:aws:iam::1:user/ana: looks good");
    expect(rows[3][3]).toBe("Running");
    expect(table.findBodyCell(2, 4)!.findStatusIndicator()!.getElement().outerHTML).toMatch(/status-error/);
  });

  it("shows a SKIPPED wave with its own badge", () => {
    const { container } = renderAt(<WaveCard wave={wave(2, "SKIPPED")} />, { path: "/", route: "/" });
    const badge = createWrapper(container).findStatusIndicator('[data-status="SKIPPED"]')!;
    expect(badge.getElement().textContent).toBe("Skipped");
    expect(badge.getElement().outerHTML).toMatch(/status-warning/);
  });

  it("shows hostile output as preformatted text in an expandable section, never as markup", () => {
    const long = "A".repeat(4096);
    const w = wave(1, "FAILED", { actions: [act_("evil", { status: "FAILED", output: `${HOSTILE}\nline 2\n${long}`, error: HOSTILE })] });
    const { container } = renderAt(<WaveCard wave={w} />, { path: "/", route: "/" });
    const section = createWrapper(container).findExpandableSection()!;
    expect(section.findExpandedContent()).toBeNull();
    act(() => section.findExpandButton().click());
    const pre = screen.getByTestId("action-output");
    expect(pre.tagName).toBe("PRE");
    expect(pre.textContent).toBe(`${HOSTILE}\nline 2\n${long}`);
    expect(container.querySelector("img, script")).toBeNull();
    // In the table the error is one line, whole on hover: the value of a title attribute, never markup.
    expect([...container.querySelectorAll("[title]")].some((e) => e.getAttribute("title") === HOSTILE)).toBe(true);
    expect(container.textContent).toContain("[bold]x[/]");
  });
});

describe("ExecutionDetailPage pauses", () => {
  it("explains a failed wave with its error and retries it with a comment", async () => {
    const { calls, wrapper } = page(failedWave(), {
      "POST /executions/e-1/retry": [200, { ...failedWave(), status: "IN_PROGRESS", statusLabel: "IN PROGRESS (wave 2 of 3)" }],
    });
    const banner = await screen.findByTestId("pause-reason");
    expect(banner.textContent).toContain("Paused: a wave failed");
    expect(banner.textContent).toContain("Wave 2 (App) failed; retry it, skip it or cancel the execution.");
    expect(screen.getByTestId("pause-wave-error").textContent).toBe("post-action smoke-test failed: HTTP 503");
    expect(wrapper.findButton('[data-testid="action-resume"]')!.getElement()).toHaveProperty("disabled", true);
    expect(actionsMenuItem(wrapper.getElement() as HTMLElement, "action-cancel")).toBe(true);
    act(() => wrapper.findButton('[data-testid="action-retry"]')!.click());
    expect(modal().findHeader().getElement().textContent).toBe("Retry wave 2 (App)");
    act(() => modal().findContent().findInput('[data-testid="confirm-comment"]')!.setInputValue("  DB team fixed the LB  "));
    act(() => modal().findFooter()!.findButton('[data-testid="confirm-ok"]')!.click());
    await waitFor(() => expect(posts(calls)).toEqual([["/executions/e-1/retry", { comment: "DB team fixed the LB" }]]));
  });

  it("skips a failed wave after a warning, without a comment when none is typed", async () => {
    const { calls, wrapper } = page(failedWave(), { "POST /executions/e-1/skip": [200, failedWave({ status: "IN_PROGRESS" })] });
    await screen.findByTestId("pause-reason");
    act(() => wrapper.findButton('[data-testid="action-skip"]')!.click());
    expect(modal().findContent().getElement().textContent).toMatch(/never COMPLETED/);
    act(() => modal().findFooter()!.findButton('[data-testid="confirm-ok"]')!.click());
    await waitFor(() => expect(posts(calls)).toEqual([["/executions/e-1/skip", {}]]));
  });

  it("skips a RECOVERY's failed wave only with the plan's name typed, on skip-recovery", async () => {
    const record = failedWave({ executionType: "RECOVERY" });
    const { calls, wrapper } = page(record, {
      "POST /executions/e-1/skip-recovery": [200, { ...record, status: "IN_PROGRESS" }],
    });
    await screen.findByTestId("pause-reason");
    act(() => wrapper.findButton('[data-testid="action-skip"]')!.click());
    expect(modal().findContent().getElement().textContent).toMatch(/This is a RECOVERY/);
    const ok = modal().findFooter()!.findButton('[data-testid="confirm-ok"]')!;
    expect(ok.getElement()).toHaveProperty("disabled", true);
    act(() => modal().findContent().findInput('[data-testid="confirm-comment"]')!.setInputValue("App owner agrees"));
    act(() => modal().findContent().findInput()!.setInputValue(record.planName));
    expect(ok.getElement()).toHaveProperty("disabled", false);
    act(() => ok.click());
    await waitFor(() =>
      expect(posts(calls)).toEqual([
        ["/executions/e-1/skip-recovery", { comment: "App owner agrees", confirmPlanName: record.planName }],
      ]),
    );
  });

  it("shows Retry and Skip of a RECOVERY's failed wave to Administrators only", async () => {
    const record = failedWave({ executionType: "RECOVERY" });
    const shown = (role: Role) => {
      const view = renderAt(<ExecutionActions execution={record} onAction={() => undefined} />, {
        path: "/",
        route: "/",
        session: { ...sandboxSession(""), role, can: capabilitiesOf(role) },
      });
      const wrapper = createWrapper(view.container);
      const found = ["retry", "skip"].map((a) => wrapper.findButton(`[data-testid="action-${a}"]`) !== null);
      view.unmount();
      return found;
    };
    expect(shown("Operators")).toEqual([false, false]);
    expect(shown("Administrators")).toEqual([true, true]);
    // A drill's failed wave is the Operators' to retry or skip.
    const drill = renderAt(<ExecutionActions execution={failedWave()} onAction={() => undefined} />, {
      path: "/",
      route: "/",
      session: { ...sandboxSession(""), role: "Operators", can: capabilitiesOf("Operators") },
    });
    expect(createWrapper(drill.container).findButton('[data-testid="action-skip"]')).not.toBeNull();
  });

  it("keeps the dialog open with the API's reason when it refuses", async () => {
    const refusal = { error: { code: "INVALID_STATE", message: "the execution is no longer paused by a failed wave" } };
    const { wrapper } = page(failedWave(), { "POST /executions/e-1/retry": [409, refusal] });
    await screen.findByTestId("pause-reason");
    act(() => wrapper.findButton('[data-testid="action-retry"]')!.click());
    act(() => modal().findFooter()!.findButton('[data-testid="confirm-ok"]')!.click());
    await waitFor(() => expect(modal().findContent().getElement().textContent).toContain("no longer paused by a failed wave"));
  });

  it("approves an APPROVAL action with a comment, through resume", async () => {
    const record = execution("PAUSED", ["COMPLETED", "IN_PROGRESS"], {
      pauseReason: "APPROVAL",
      pausedWave: 2,
      pausedAction: "app-owner-sign-off",
    });
    const { calls, wrapper } = page(record, { "POST /executions/e-1/resume": [200, { ...record, status: "IN_PROGRESS" }] });
    const banner = await screen.findByTestId("pause-reason");
    expect(banner.textContent).toContain("Waiting for approval of app-owner-sign-off in wave 2 (App)");
    expect(wrapper.findButton('[data-testid="action-resume"]')).toBeNull();
    expect(wrapper.findButton('[data-testid="action-retry"]')).toBeNull();
    act(() => wrapper.findButton('[data-testid="action-approve"]')!.click());
    expect(modal().findHeader().getElement().textContent).toBe("Approve app-owner-sign-off");
    act(() => modal().findContent().findInput('[data-testid="confirm-comment"]')!.setInputValue("checked the orders page"));
    act(() => modal().findFooter()!.findButton('[data-testid="confirm-ok"]')!.click());
    await waitFor(() => expect(posts(calls)).toEqual([["/executions/e-1/resume", { comment: "checked the orders page" }]]));
  });

  it("resumes a plan's pause with an optional comment", async () => {
    const record = execution("PAUSED", ["COMPLETED", "NOT_STARTED"], { pauseReason: "BEFORE_WAVE", pausedBeforeWave: 2, pausedWave: 2 });
    const { calls, wrapper } = page(record, { "POST /executions/e-1/resume": [200, { ...record, status: "IN_PROGRESS" }] });
    expect((await screen.findByTestId("pause-reason")).textContent).toContain("The plan pauses before wave 2 (App)");
    expect(wrapper.findButton('[data-testid="action-skip"]')).toBeNull();
    act(() => wrapper.findButton('[data-testid="action-resume"]')!.click());
    act(() => modal().findFooter()!.findButton('[data-testid="confirm-ok"]')!.click());
    await waitFor(() => expect(posts(calls)).toEqual([["/executions/e-1/resume", {}]]));
  });

  it("refuses a comment over 1,000 characters before asking the API", async () => {
    const { calls, wrapper } = page(failedWave());
    await screen.findByTestId("pause-reason");
    act(() => wrapper.findButton('[data-testid="action-retry"]')!.click());
    act(() => modal().findContent().findInput('[data-testid="confirm-comment"]')!.setInputValue("x".repeat(1001)));
    expect(modal().findFooter()!.findButton('[data-testid="confirm-ok"]')!.getElement()).toHaveProperty("disabled", true);
    expect(posts(calls)).toEqual([]);
  });
});

describe("PlanEditorPage actions", () => {
  const plan = {
    planId: "p-1",
    name: "Runbook",
    waves: [
      {
        waveName: "DB",
        protectionGroupIds: ["g-1"],
        pauseBeforeWave: false,
        preActions: [{ name: "stop-batch", type: "SSM_COMMAND", documentName: "AWS-RunShellScript", parameters: { commands: ["stop"] } }],
        postActions: [
          { name: "soak", type: "WAIT", durationSeconds: 120, timeoutSeconds: 900 },
          { name: "smoke", type: "LAMBDA", functionName: "smoke", payload: { url: "/health" }, maxAttempts: 3, onFailure: "CONTINUE", futureField: 1 },
        ],
      },
    ],
    options: { capacityWaitMinutes: 30 },
  };
  const editor = (routes: Record<string, [number, unknown]> = {}) => {
    const fake = fakeFetch({
      "GET /recovery-plans/p-1": [200, plan],
      "GET /protection-groups": [200, { items: [{ groupId: "g-1", name: "DatabaseServers" }] }],
      ...routes,
    });
    const view = renderAt(<PlanEditorPage />, {
      path: "/recovery-plans/p-1/edit",
      route: "/recovery-plans/:planId/edit",
      session: sandboxSession("", fake.fetcher),
    });
    return { ...fake, wrapper: createWrapper(view.container) };
  };
  const ready = async (wrapper: ReturnType<typeof createWrapper>) =>
    waitFor(() => expect(wrapper.findInput('[data-testid="postActions-1-1-name"]')?.getInputValue()).toBe("soak"));
  const put = (calls: { method: string; body: unknown }[]) => calls.find((c) => c.method === "PUT")?.body as typeof plan | undefined;

  it("sends the actions unchanged when nothing is edited, keeping fields it does not show", async () => {
    const { calls, wrapper } = editor({ "PUT /recovery-plans/p-1": [200, plan] });
    await ready(wrapper);
    expect(wrapper.findTextarea('[data-testid="postActions-1-2-payload"]')!.getTextareaValue()).toContain('"url": "/health"');
    act(() => wrapper.findButton('[data-testid="save-plan"]')!.click());
    await waitFor(() => expect(put(calls)).toBeDefined());
    const { planId: _id, ...body } = plan;
    expect(put(calls)).toEqual(body);
  });

  it("adds, edits, reorders and removes actions, and sets onWaveFailure", async () => {
    const { calls, wrapper } = editor({ "PUT /recovery-plans/p-1": [200, plan] });
    await ready(wrapper);
    // Add a post-action, make it a WAIT of 300 s, move it first
    act(() => wrapper.findButton('[data-testid="add-postActions-1"]')!.click());
    act(() => wrapper.findInput('[data-testid="postActions-1-3-name"]')!.setInputValue("settle"));
    const type = wrapper.findSelect('[data-testid="postActions-1-3-type"]')!;
    act(() => type.openDropdown());
    act(() => type.selectOptionByValue("WAIT"));
    act(() => wrapper.findInput('[data-testid="postActions-1-3-durationSeconds"]')!.setInputValue("300"));
    act(() => wrapper.findButton('[aria-label="Move Post-action 3 of wave 1 up"]')!.click());
    act(() => wrapper.findButton('[aria-label="Move Post-action 2 of wave 1 up"]')!.click());
    // The pre-action becomes an approval: the SSM fields are no longer sent
    const preType = wrapper.findSelect('[data-testid="preActions-1-1-type"]')!;
    act(() => preType.openDropdown());
    act(() => preType.selectOptionByValue("APPROVAL"));
    // Remove soak (now second)
    act(() => wrapper.findButton('[aria-label="Remove Post-action 2 of wave 1"]')!.click());
    const failure = wrapper.findSelect('[data-testid="plan-on-wave-failure"]')!;
    act(() => failure.openDropdown());
    act(() => failure.selectOptionByValue("PAUSE"));
    act(() => wrapper.findButton('[data-testid="save-plan"]')!.click());
    await waitFor(() => expect(put(calls)).toBeDefined());
    const sent = put(calls)!;
    expect(sent.waves[0].preActions).toEqual([{ name: "stop-batch", type: "APPROVAL" }]);
    expect(sent.waves[0].postActions).toEqual([
      { name: "settle", type: "WAIT", durationSeconds: 300 },
      plan.waves[0].postActions[1],
    ]);
    expect(sent.options).toEqual({ capacityWaitMinutes: 30, onWaveFailure: "PAUSE" });
  });

  it("says an approval left without a timeout waits the plan's pause timeout, as the API applies it", async () => {
    // Given the plan sets no pauseTimeoutMinutes; when a pre-action becomes an APPROVAL
    const { wrapper } = editor();
    await ready(wrapper);
    const field = () => wrapper.findFormField('[data-testid="preActions-1-1-field-timeoutSeconds"]');
    const preType = wrapper.findSelect('[data-testid="preActions-1-1-type"]')!;
    act(() => preType.openDropdown());
    act(() => preType.selectOptionByValue("APPROVAL"));
    // Then the editor shows the 24 h (86400 s) the API stores, not the 900 s of other actions
    expect(field()!.findConstraint()!.getElement().textContent).toBe(
      "Per attempt; empty: the plan's pause timeout, 24 h (86400 s)",
    );
    expect(wrapper.findFormField('[data-testid="postActions-1-1-field-timeoutSeconds"]')!.findConstraint()!.getElement().textContent).toBe(
      "Per attempt; empty: 15 min (900 s)",
    );
  });

  it("shows the API's 422 on the action field it names", async () => {
    const { wrapper } = editor({
      "PUT /recovery-plans/p-1": [
        422,
        {
          error: {
            code: "VALIDATION_ERROR",
            message: "durationSeconds must be at least 60",
            details: { field: "waves[0].postActions[0].durationSeconds" },
          },
        },
      ],
    });
    await ready(wrapper);
    act(() => wrapper.findInput('[data-testid="postActions-1-1-durationSeconds"]')!.setInputValue("5"));
    act(() => wrapper.findButton('[data-testid="save-plan"]')!.click());
    await waitFor(() =>
      expect(
        wrapper.findFormField('[data-testid="postActions-1-1-field-durationSeconds"]')!.findError()?.getElement().textContent,
      ).toBe("durationSeconds must be at least 60"),
    );
  });

  it("names a payload that is not a JSON object on its field and sends nothing", async () => {
    const { calls, wrapper } = editor();
    await ready(wrapper);
    act(() => wrapper.findTextarea('[data-testid="postActions-1-2-payload"]')!.setTextareaValue("{not json"));
    act(() => wrapper.findButton('[data-testid="save-plan"]')!.click());
    await waitFor(() =>
      expect(wrapper.findFormField('[data-testid="postActions-1-2-field-payload"]')!.findError()?.getElement().textContent).toMatch(
        /not valid JSON/,
      ),
    );
    expect(calls.filter((c) => c.method === "PUT")).toEqual([]);
  });
});
