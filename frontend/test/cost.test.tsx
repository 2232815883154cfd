import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Cost } from "../src/api/types";
import { CostPanel, formatHours, formatUsd } from "../src/components/Cost";

const cost: Cost = {
  estimate: true,
  currency: "USD",
  asOf: "2026-12-01T14:00:00.000Z",
  instanceHours: 4.5,
  estimatedTotal: 0.1248,
  types: [
    {
      instanceType: "c6i.large",
      operatingSystem: "Linux",
      instances: 1,
      runningInstances: 0,
      instanceHours: 1.5,
      hourlyPrice: null,
      estimatedCost: null,
    },
    {
      instanceType: "t3.medium",
      operatingSystem: "Linux",
      instances: 2,
      runningInstances: 1,
      instanceHours: 3,
      hourlyPrice: 0.0416,
      estimatedCost: 0.1248,
    },
  ],
  unpricedTypes: ["c6i.large"],
  runningInstances: 1,
  complete: false,
};

describe("the cost of an execution", () => {
  it("writes prices as the report does: four decimals under a dollar, cents above, unknown without one", () => {
    expect(formatUsd(0.0416)).toBe("$0.0416");
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(null)).toBe("unknown");
    expect(formatHours(3)).toBe("3");
    expect(formatHours(1.5)).toBe("1.5");
  });

  it("lists an unpriced type with its hours, out of the total, and says what still runs", () => {
    // Given a cost with one unpriced type and one instance still running
    const { getByTestId } = render(<CostPanel cost={cost} />);
    // Then the total is the priced types' only, and both the unknown price and the running instance are said
    expect(getByTestId("cost-total").textContent).toBe("$0.1248 for 4.5 instance-hours");
    const panel = getByTestId("execution-cost").textContent ?? "";
    expect(panel).toContain("Price unknown for c6i.large: left out of the total.");
    expect(panel).toContain("1 instance(s) still running, counted to 2026-12-01T14:00:00.000Z.");
    expect(panel).toContain("not in the total");
  });

  it("shows nothing for an answer without a cost (a control action's answer)", () => {
    const { container } = render(<CostPanel cost={undefined} />);
    expect(container.textContent).toBe("");
  });
});
