import { describe, expect, it } from "vitest";
import type { Execution } from "../src/api/types";
import {
  afterSkipText,
  allowedActions,
  defaultActionTimeoutSeconds,
  errorText,
  executionIndicator,
  formatLimit,
  secondsBetween,
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

describe("limits and spans in the API's words", () => {
  it("states a timeout in the largest unit that says it exactly, as the API's errors do", () => {
    expect([10, 90, 900, 5400, 86400].map(formatLimit)).toEqual(["10 s", "90 s", "15 min", "90 min", "24 h"]);
  });

  it("gives an approval without a timeout the plan's pause timeout, any other action 900 s", () => {
    // Given an empty timeoutSeconds; then the default is what create.py applies
    expect(defaultActionTimeoutSeconds("APPROVAL", null)).toBe(86400);
    expect(defaultActionTimeoutSeconds("APPROVAL", 30)).toBe(1800);
    expect(defaultActionTimeoutSeconds("LAMBDA", 30)).toBe(900);
  });

  it("counts a span by whole seconds of each end, so spans laid end to end add up", () => {
    // Given 10.9 s -> 27.5 s (16.6 s); then 27 - 10 = 17, and 10.9 -> 20.2 plus 20.2 -> 27.5 is 10 + 7
    const at = (s: number) => new Date(Date.UTC(2025, 4, 14, 9, 0, 0) + s * 1000).toISOString();
    expect(secondsBetween(at(10.9), at(27.5))).toBe(17);
    expect(secondsBetween(at(10.9), at(20.2))! + secondsBetween(at(20.2), at(27.5))!).toBe(17);
  });

  it("says the execution finishes after a skip of the last wave, and names the next wave otherwise", () => {
    const waves = [
      { waveNumber: 1, waveName: "DB", status: "COMPLETED" },
      { waveNumber: 2, waveName: "App", status: "FAILED" },
      { waveNumber: 3, waveName: "Web", status: "NOT_STARTED" },
    ] as Execution["waves"];
    expect(afterSkipText({ waves, pausedWave: 2 })).toBe("wave 3 (Web) starts next.");
    expect(afterSkipText({ waves, pausedWave: 3 })).toBe("no wave is left to run: the execution finishes.");
  });
});
