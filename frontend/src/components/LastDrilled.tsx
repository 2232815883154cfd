// When each source server was last drilled, as the API records it (GET /drs/source-servers:
// lastDrilledTime, lastDrillOutcome, lastDrillExecutionId), and the "never drilled" filter.
import Link from "@cloudscape-design/components/link";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Toggle from "@cloudscape-design/components/toggle";
import type { Api } from "../api/client";
import type { SourceServer } from "../api/types";
import { formatTime } from "../time";

export type LastDrill = Pick<SourceServer, "lastDrilledTime" | "lastDrillOutcome" | "lastDrillExecutionId">;

/** Each source server's last drill, by id (one read of DRS's list, the fields as the API gives them). */
export async function lastDrilledOf(api: Api): Promise<Map<string, LastDrill>> {
  const page = await api.sourceServers();
  return new Map(
    page.items.map((s) => [
      s.sourceServerId,
      { lastDrilledTime: s.lastDrilledTime, lastDrillOutcome: s.lastDrillOutcome, lastDrillExecutionId: s.lastDrillExecutionId },
    ]),
  );
}

/** True when the API records no drill that launched this server. */
export function neverDrilled(drill: LastDrill | null | undefined): boolean {
  return !drill?.lastDrilledTime;
}

/**
 * The servers with their last drill (undefined until it is known); with `neverDrilledOnly`, only
 * those never drilled (none until the drills are known: a server is not called never drilled on a guess).
 */
export function withLastDrill<T extends { sourceServerId: string }>(
  servers: T[],
  drills: Map<string, LastDrill> | null,
  neverDrilledOnly: boolean,
): (T & { lastDrill: LastDrill | undefined })[] {
  const rows = servers.map((s) => ({ ...s, lastDrill: drills?.get(s.sourceServerId) }));
  if (!neverDrilledOnly) return rows;
  return drills ? rows.filter((r) => neverDrilled(r.lastDrill)) : [];
}

/** When the server was last drilled, with the outcome; `link` makes the time a link to that drill. */
export function LastDrilled({ drill, loaded, link = true }: { drill: LastDrill | undefined; loaded: boolean; link?: boolean }) {
  if (!loaded) return <>…</>;
  if (neverDrilled(drill)) return <span data-testid="last-drilled">Never drilled</span>;
  const recovered = drill?.lastDrillOutcome === "RECOVERED";
  const when = formatTime(drill?.lastDrilledTime);
  return (
    <span data-testid="last-drilled" data-time={drill?.lastDrilledTime ?? undefined}>
      {link && drill?.lastDrillExecutionId ? <Link href={`#/executions/${drill.lastDrillExecutionId}`}>{when}</Link> : when}{" "}
      <StatusIndicator type={recovered ? "success" : "error"}>{recovered ? "Recovered" : "Failed"}</StatusIndicator>
    </span>
  );
}

export function NeverDrilledToggle({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <Toggle data-testid="never-drilled-filter" checked={checked} onChange={({ detail }) => onChange(detail.checked)}>
      Only servers never drilled
    </Toggle>
  );
}
