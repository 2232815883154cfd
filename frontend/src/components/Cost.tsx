import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import type { Cost, CostType } from "../api/types";

/**
 * A price or cost as every surface writes it (execution_utils.format_usd): cents from $1 up, four
 * decimals below; "unknown" without a price.
 */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "unknown";
  return value >= 1
    ? `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
    : `$${value.toFixed(4)}`;
}

/** Hours as Python's ``:g`` writes them (at most 6 significant digits, no trailing zeros). */
export function formatHours(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/**
 * The "Cost (estimate)" panel of an execution: its instance-hours per instance type, each type's
 * list price and cost, the total of the priced types; a type without a known price is listed with
 * its hours and left out of the total (never guessed); instances still running are counted to asOf.
 */
export function CostPanel({ cost }: { cost: Cost | null | undefined }) {
  if (!cost) return null;
  const notes: string[] = [];
  if (cost.unpricedTypes.length)
    notes.push(`Price unknown for ${cost.unpricedTypes.join(", ")}: left out of the total.`);
  if (cost.runningInstances) notes.push(`${cost.runningInstances} instance(s) still running, counted to ${cost.asOf}.`);
  return (
    <Container
      data-testid="execution-cost"
      header={
        <Header
          variant="h2"
          description="On-demand list prices (AWS Price List) times each recovery instance's hours from launch to termination; not a bill"
        >
          Cost (estimate)
        </Header>
      }
    >
      <Box variant="h3" data-testid="cost-total" data-total={String(cost.estimatedTotal)}>
        {formatUsd(cost.estimatedTotal)} for {formatHours(cost.instanceHours)} instance-hours
      </Box>
      {notes.map((note) => (
        <StatusIndicator key={note} type="warning">
          {note}
        </StatusIndicator>
      ))}
      <Table<CostType>
        data-testid="cost-types"
        variant="embedded"
        items={cost.types}
        empty={<Box>No recovery instance was launched.</Box>}
        columnDefinitions={[
          { id: "type", header: "Instance type", cell: (t) => t.instanceType },
          { id: "os", header: "Operating system", cell: (t) => t.operatingSystem },
          { id: "instances", header: "Instances", cell: (t) => t.instances },
          { id: "hours", header: "Instance-hours", cell: (t) => formatHours(t.instanceHours) },
          { id: "price", header: "Hourly price", cell: (t) => formatUsd(t.hourlyPrice) },
          {
            id: "cost",
            header: "Estimated cost",
            cell: (t) => (t.hourlyPrice === null ? "not in the total" : formatUsd(t.estimatedCost)),
          },
          { id: "running", header: "Still running", cell: (t) => t.runningInstances || "-" },
        ]}
      />
    </Container>
  );
}
