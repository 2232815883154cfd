// The server table shows each server's settled phase and the EC2 state the API recorded: a server of a
// cancelled wave is "Not launched" (never "Pending"), a terminated drill's instances read "terminated".
import { screen } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import { describe, expect, it } from "vitest";
import { ServerTable } from "../src/pages/ServerTable";
import { sandboxSession } from "../src/session";
import { serverPhaseIndicator } from "../src/status";
import { fakeFetch, renderAt } from "./setup";

describe("serverPhaseIndicator", () => {
  it.each([
    ["LAUNCHING", "in-progress"],
    ["READY", "success"],
    ["FAILED", "error"],
    ["NOT_READY", "warning"],
    ["NOT_LAUNCHED", "stopped"],
    ["SOMETHING_NEW", "info"],
  ])("shows phase %s as %s", (phase, type) => {
    expect(serverPhaseIndicator(phase)).toBe(type);
  });

  it("shows nothing for a server DRS has not started yet", () => {
    expect(serverPhaseIndicator(null)).toBeNull();
  });
});

describe("ServerTable after a cancelled drill was terminated", () => {
  it("shows the ready server READY with its instance terminated and the unlaunched one Not launched", async () => {
    // Given the API's servers: wave 1 recovered then terminated, wave 2 cancelled before its launch
    const { fetcher } = fakeFetch({
      "GET /executions/e-1/servers": [
        200,
        {
          items: [
            {
              sourceServerId: "s-1",
              hostname: "db01",
              waveNumber: 1,
              launchStatus: "LAUNCHED",
              phase: "READY",
              ready: true,
              ec2InstanceId: "i-0abc",
              ec2State: "terminated",
            },
            { sourceServerId: "s-2", hostname: "web01", waveNumber: 2, launchStatus: "PENDING", phase: "NOT_LAUNCHED", ready: false },
          ],
          nextToken: null,
        },
      ],
    });
    // When the table shows them
    const view = renderAt(<ServerTable executionId="e-1" version={0} />, {
      path: "/executions/e-1",
      route: "/executions/:executionId",
      session: sandboxSession("", fetcher),
    });
    await screen.findByText("db01 (s-1)");
    const table = createWrapper(view.container).findTable('[data-testid="server-table"]')!;
    // Then the first row reads Ready / terminated, the second Not launched, and nothing says Pending
    expect(table.findBodyCell(1, 5)!.getElement().textContent).toBe("Ready");
    expect(table.findBodyCell(1, 7)!.getElement().textContent).toBe("terminated");
    expect(table.findBodyCell(2, 3)!.getElement().textContent).toBe("Not launched");
    expect(table.findBodyCell(2, 5)!.getElement().textContent).toBe("Not launched");
    expect(table.getElement().textContent).not.toMatch(/Pending|running/);
  });
});
