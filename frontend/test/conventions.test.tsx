import { act, render, screen, waitFor } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import { describe, expect, it } from "vitest";
import { plainMessage } from "../src/components/fieldErrors";
import { loadAllPages, matchesText } from "../src/components/PagedTable";
import { columnDisplay, ResourceTable, tableStorageKey, useTablePreferences, type Column } from "../src/components/ResourceTable";
import { flashesOn, ShellProvider, useShell, type Flash } from "../src/components/shell";
import { detailsOf, needsDetails, startedOnOrAfter, startedOnOrBefore } from "../src/pages/executionFilter";
import { actionSentence } from "../src/status";
import { formatTime, offsetName } from "../src/time";
import { execution } from "./fixtures";

describe("one time format, with its zone", () => {
  it("shows UTC to the second, as the report does", () => {
    expect(formatTime("2026-12-07T20:42:53.987Z", "UTC")).toBe("2026-12-07 20:42:53 UTC");
    expect(formatTime(null, "UTC")).toBe("-");
  });

  it("names a local zone by its offset", () => {
    expect(offsetName(330)).toBe("UTC+5:30");
    expect(offsetName(-180)).toBe("UTC-3");
    expect(offsetName(0)).toBe("UTC");
    expect(formatTime("2026-12-07T20:42:53Z", "LOCAL")).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:53 UTC/);
  });
});

describe("plain form errors", () => {
  it.each([
    ["invalid name: name must be longer than or equal to 1 characters", "name", "Enter a name"],
    ["invalid waves[0].waveName: waves[0].waveName must be longer than or equal to 1 characters", "waves[0].waveName", "Enter a wave name"],
    ["invalid name: name must be shorter than or equal to 128 characters", "name", "Use at most 128 characters"],
    ["invalid sourceServerIds: sourceServerIds must contain at least 1 items", "sourceServerIds", "Choose at least one source server"],
    ["invalid waves: waves must contain at least 1 items", "waves", "Choose at least one wave"],
    ["invalid options.waveTimeoutMinutes: options.waveTimeoutMinutes must be bigger than or equal to 1", "options.waveTimeoutMinutes", "Enter 1 or more"],
    ["invalid options.rtoTargetMinutes: options.rtoTargetMinutes must be smaller than or equal to 10080", "options.rtoTargetMinutes", "Enter 10080 or less"],
  ])("says %s as %s", (message, field, plain) => {
    expect(plainMessage(message, field)).toBe(plain);
  });

  it("keeps a message it does not know, as a sentence naming the field", () => {
    expect(plainMessage("invalid name: name must not contain bidirectional control characters", "name")).toBe(
      "Name must not contain bidirectional control characters",
    );
  });
});

describe("notifications", () => {
  it("read as sentences", () => {
    const drill = execution("PAUSED", ["COMPLETED", "FAILED"], { planName: "3TierRecoveryPlan", pausedWave: 2 });
    expect(actionSentence("pause", drill)).toBe("Drill of 3TierRecoveryPlan pauses before its next wave");
    expect(actionSentence("cancel", drill, { status: "CANCELLED" })).toBe("Drill of 3TierRecoveryPlan cancelled");
    expect(actionSentence("terminate", { ...drill, executionType: "RECOVERY" })).toBe(
      "The recovery instances of the recovery of 3TierRecoveryPlan are being terminated",
    );
    expect(actionSentence("retry", drill)).toMatch(/^Wave 2 \(.+\) of the drill of 3TierRecoveryPlan is retried$/);
  });

  it("stay on the page they were raised for", () => {
    const flash = (id: string, path: string): Flash => ({ id, type: "success", content: id, path });
    const all = [flash("a", "/executions/1"), flash("b", "/recovery-plans")];
    expect(flashesOn(all, "/executions/1").map((f) => f.id)).toEqual(["a"]);
  });

  it("dismiss a success by themselves, and keep an error", async () => {
    let shell: ReturnType<typeof useShell> | null = null;
    function Probe() {
      shell = useShell();
      return <div>{shell.flashes.map((f) => f.content).join(",")}</div>;
    }
    render(
      <ShellProvider path={() => "/x"} successMs={50}>
        <Probe />
      </ShellProvider>,
    );
    act(() => shell!.notify("success", "Drill of P started"));
    act(() => shell!.notify("error", "Refused"));
    expect(shell!.flashes.map((f) => f.content)).toEqual(["Refused", "Drill of P started"]);
    await waitFor(() => expect(shell!.flashes.map((f) => f.content)).toEqual(["Refused"]));
  });
});

describe("the shared table", () => {
  const columns: Column<{ id: string }>[] = [
    { id: "name", header: "Name", cell: (r) => r.id, alwaysVisible: true },
    { id: "arn", header: "ARN", cell: (r) => r.id },
    { id: "extra", header: "Extra", cell: (r) => r.id, hidden: true },
  ];

  it("keeps the stored order and visibility, and adds columns new since", () => {
    expect(columnDisplay(columns, [{ id: "arn", visible: false }, { id: "name", visible: false }, { id: "gone", visible: true }])).toEqual([
      { id: "arn", visible: false },
      { id: "name", visible: true },
      { id: "extra", visible: false },
    ]);
  });

  it("reads its preferences back from the browser's storage", () => {
    window.localStorage.setItem(tableStorageKey("t1"), JSON.stringify({ pageSize: 50, columns: [{ id: "arn", visible: false }] }));
    function T() {
      const [prefs, setPrefs] = useTablePreferences("t1", columns);
      return <ResourceTable items={[{ id: "r1" }]} columns={columns} prefs={prefs} onPrefsChange={setPrefs} pageSizes={[10, 50]} />;
    }
    const { container } = render(<T />);
    const table = createWrapper(container).findTable()!;
    expect(table.findColumnHeaders().map((h) => h.getElement().textContent)).toEqual(["Name"]);
    expect(screen.getByText("r1")).toBeTruthy();
    window.localStorage.clear();
  });
});

describe("searching a paged list", () => {
  it("reads every page", async () => {
    const pages: Record<string, { items: number[]; nextToken: string | null }> = {
      "": { items: [1, 2], nextToken: "a" },
      a: { items: [3], nextToken: "b" },
      b: { items: [4], nextToken: null },
    };
    expect(await loadAllPages(async (token) => pages[token ?? ""])).toEqual([1, 2, 3, 4]);
    expect(matchesText("WAVE_FAILED wave 2", "  wave_failed ")).toBe(true);
  });
});

describe("the executions filter", () => {
  it("compares start times by the prefix typed", () => {
    expect(startedOnOrAfter("2026-12-07T20:42:53.000Z", "2026-12-07")).toBe(true);
    expect(startedOnOrBefore("2026-12-07T20:42:53.000Z", "2026-12-07")).toBe(true);
    expect(startedOnOrAfter("2026-12-07T20:42:53.000Z", "2026-12-08")).toBe(false);
    expect(startedOnOrBefore("2026-12-07T20:42:53.000Z", "2026-12-07T20:40")).toBe(false);
  });

  it("says an ended drill's instances still run until they are terminated", () => {
    const running = execution("COMPLETED", ["COMPLETED"], {
      initiatedBy: "alice",
      canTerminate: { canTerminate: true, reason: null, hasRecoveryInstances: true },
    });
    expect(detailsOf(running)).toEqual({ startedBy: "alice", stillRunning: "Yes" });
    expect(detailsOf({ ...running, instancesTerminated: true }).stillRunning).toBe("No");
    expect(detailsOf({ ...running, status: "IN_PROGRESS" }).stillRunning).toBe("No");
    expect(needsDetails({ operation: "and", tokens: [{ propertyKey: "stillRunning", operator: "=", value: "Yes" }] })).toBe(true);
    expect(needsDetails({ operation: "and", tokens: [{ propertyKey: "planName", operator: "=", value: "P" }] })).toBe(false);
  });
});
