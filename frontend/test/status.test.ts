import { describe, expect, it } from "vitest";
import {
  allowedActions,
  errorText,
  executionIndicator,
  isActive,
  pauseReasonText,
  waveIndicator,
  waveOfText,
} from "../src/status";
import { execution } from "./fixtures";

describe("execution status indicator", () => {
  it.each([
    ["COMPLETED", "success"],
    ["PARTIAL_SUCCESS", "warning"],
    ["FAILED", "error"],
    ["CANCELLED", "error"],
    ["IN_PROGRESS", "in-progress"],
    ["PAUSED", "stopped"],
    ["PENDING", "pending"],
    ["CANCELLING", "pending"],
  ])("shows %s as %s", (status, type) => {
    expect(executionIndicator(status)).toBe(type);
  });

  it("shows an unknown status as info rather than hiding it", () => {
    expect(executionIndicator("SOMETHING_NEW")).toBe("info");
  });

  it.each([
    ["COMPLETED", "success"],
    ["FAILED", "error"],
    ["CANCELLED", "stopped"],
    ["IN_PROGRESS", "in-progress"],
    ["NOT_STARTED", "pending"],
  ])("shows wave status %s as %s", (status, type) => {
    expect(waveIndicator(status)).toBe(type);
  });

  it("knows the active statuses", () => {
    expect(["PENDING", "IN_PROGRESS", "PAUSED", "CANCELLING"].every(isActive)).toBe(true);
    expect(["COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"].some(isActive)).toBe(false);
  });
});

describe("buttons enabled from the API's record", () => {
  const yes = { canTerminate: true, reason: null, hasRecoveryInstances: true };
  it.each([
    // status, waves, extra, pause, resume, cancel, terminate
    ["PENDING", ["NOT_STARTED", "NOT_STARTED"], {}, true, false, true, false],
    ["IN_PROGRESS", ["IN_PROGRESS", "NOT_STARTED"], {}, true, false, true, false],
    ["IN_PROGRESS", ["IN_PROGRESS", "NOT_STARTED"], { pauseRequested: true }, false, false, true, false],
    ["IN_PROGRESS", ["COMPLETED", "IN_PROGRESS"], {}, false, false, true, false],
    ["PAUSED", ["COMPLETED", "NOT_STARTED"], {}, false, true, true, false],
    ["CANCELLING", ["IN_PROGRESS", "CANCELLED"], {}, false, false, false, false],
    ["COMPLETED", ["COMPLETED", "COMPLETED"], { canTerminate: yes }, false, false, false, true],
    ["PARTIAL_SUCCESS", ["COMPLETED", "CANCELLED"], { canTerminate: yes }, false, false, false, true],
    ["FAILED", ["FAILED", "NOT_STARTED"], {}, false, false, false, false],
    ["CANCELLED", ["CANCELLED", "CANCELLED"], {}, false, false, false, false],
  ] as const)("%s %j %j", (status, waves, extra, pause, resume, cancel, terminate) => {
    expect(allowedActions(execution(status, [...waves], extra))).toEqual({ pause, resume, cancel, terminate, approve: false, retry: false, skip: false });
  });

  it("takes canTerminate from the API, never recomputing it", () => {
    const done = execution("COMPLETED", ["COMPLETED"], {
      canTerminate: { canTerminate: false, reason: "Instances already terminated", hasRecoveryInstances: false },
    });
    expect(allowedActions(done).terminate).toBe(false);
    // Even a record the browser might think odd: the API's answer wins.
    const odd = execution("FAILED", ["FAILED"], {
      canTerminate: { canTerminate: true, reason: null, hasRecoveryInstances: true },
    });
    expect(allowedActions(odd).terminate).toBe(true);
  });
});

describe("texts", () => {
  it("says why a PAUSED execution waits and before which wave", () => {
    const paused = execution("PAUSED", ["COMPLETED", "COMPLETED", "NOT_STARTED"], {
      pausedBeforeWave: 3,
      pauseReason: "PLAN",
    });
    expect(pauseReasonText(paused)).toBe("the plan pauses before wave 3 (Web); resume to continue");
    expect(waveOfText(paused)).toBe("before wave 3 of 3");
    expect(pauseReasonText({ ...paused, pauseReason: "OPERATOR" })).toMatch(/^paused by an operator before wave 3/);
    expect(pauseReasonText(execution("IN_PROGRESS", ["IN_PROGRESS"]))).toBeNull();
  });

  it("gives 'wave N of M' while active only", () => {
    expect(waveOfText(execution("IN_PROGRESS", ["COMPLETED", "IN_PROGRESS", "NOT_STARTED"], { currentWave: 2 }))).toBe(
      "wave 2 of 3",
    );
    expect(waveOfText(execution("COMPLETED", ["COMPLETED"], { currentWave: 1 }))).toBeNull();
  });

  it("turns any error value into one line of text", () => {
    expect(errorText("boom")).toBe("boom");
    expect(errorText({ Error: "States.TaskFailed", Cause: "the cause" })).toBe("the cause");
    expect(errorText(null)).toBeNull();
  });
});
