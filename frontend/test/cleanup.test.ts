import { describe, expect, it } from "vitest";
import { cleanupText, postponeHours } from "../src/components/Cleanup";

describe("the automatic cleanup on the execution page", () => {
  it("says when a pending cleanup terminates the instances, in the console's time format", () => {
    expect(cleanupText({ cleanupPending: true, cleanupAt: "2026-12-08T10:00:00.000Z" })).toBe(
      "Instances will be terminated at 2026-12-08 10:00:00 UTC (automatic cleanup)",
    );
  });

  it("names who postponed it", () => {
    expect(
      cleanupText({ cleanupPending: true, cleanupAt: "2026-12-08T10:00:00.000Z", cleanupPostponedBy: "alice" }),
    ).toContain("; postponed by alice");
  });

  it("says nothing when no cleanup is pending (terminated, being terminated, or none set)", () => {
    expect(cleanupText({ cleanupPending: false, cleanupAt: "2026-12-08T10:00:00.000Z" })).toBeNull();
    expect(cleanupText({ cleanupPending: true })).toBeNull();
  });

  it.each([["1", 1], ["168", 168], ["4", 4]])("accepts %s hours", (typed, hours) => {
    expect(postponeHours(typed)).toEqual({ hours });
  });

  it.each(["0", "169", "2.5", "", "x"])("refuses %j hours before anything is sent", (typed) => {
    expect(postponeHours(typed)).toHaveProperty("error");
  });
});
