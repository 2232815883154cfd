// A plan's readiness (GET /recovery-plans/{id}/readiness) and its evidence across drills (GET
// /recovery-plans/{id}/drill-history), as the console reads and shows them. Every value shown is
// the API's: the verdict, each check, the recovery times and their percentiles are never recomputed
// here, only put in order for a table or a chart.
import type { Api } from "./client";
import type { components } from "./generated";

type Schemas = components["schemas"];
export type PlanReadiness = Schemas["PlanReadiness"];
export type ReadinessCheck = Schemas["ReadinessCheckResult"];
export type ReadinessVerdict = PlanReadiness["verdict"];
export type DrillHistory = Schemas["DrillHistory"];
export type DrillRow = DrillHistory["drills"][number];
export type RecoveryTimeStats = Schemas["RecoveryTimeStats"];
export type DrillTrend = DrillHistory["trend"];

const id = (value: string) => encodeURIComponent(value);

/** How many drills the percentiles are taken over (the API's default N). */
export const TREND_LAST = 10;

export const planReadiness = (api: Api, planId: string) =>
  api.request<PlanReadiness>("GET", `/recovery-plans/${id(planId)}/readiness`);

export const drillHistory = (api: Api, planId: string, last: number = TREND_LAST) =>
  api.request<DrillHistory>("GET", `/recovery-plans/${id(planId)}/drill-history?last=${last}`);

type Indicator = "success" | "warning" | "error" | "info" | "pending" | "stopped" | "in-progress" | "loading";

/** A verdict as a StatusIndicator: READY success, AT_RISK warning, NOT_READY error (never colour alone). */
export function verdictIndicator(verdict: ReadinessVerdict): { type: Indicator; text: string } {
  switch (verdict) {
    case "READY":
      return { type: "success", text: "Ready" };
    case "AT_RISK":
      return { type: "warning", text: "At risk" };
    case "NOT_READY":
      return { type: "error", text: "Not ready" };
  }
}

/** A check's status as a StatusIndicator: PASS success, WARN warning, FAIL error. */
export function checkIndicator(status: ReadinessCheck["status"]): { type: Indicator; text: string } {
  switch (status) {
    case "PASS":
      return { type: "success", text: "Pass" };
    case "WARN":
      return { type: "warning", text: "Warning" };
    case "FAIL":
      return { type: "error", text: "Fail" };
  }
}

/** The check's name in words: "SERVERS_REPLICATE" -> "Servers replicate", "LAST_DRILL_RTO" -> "Last drill RTO". */
export function checkName(check: string): string {
  const words = check.toLowerCase().split("_");
  return words
    .map((w, i) => (w === "rto" ? "RTO" : i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join(" ");
}

/** The checks in the order an operator reads them: failures, then warnings, then passes (each as the API listed them). */
export function checksInOrder(checks: ReadinessCheck[]): ReadinessCheck[] {
  const rank = { FAIL: 0, WARN: 1, PASS: 2 } as const;
  return checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank[a.c.status] - rank[b.c.status] || a.i - b.i)
    .map(({ c }) => c);
}

/** What did not pass, as one line: the first `max` messages of the checks that did not PASS, then how many more. */
export function problemsText(checks: ReadinessCheck[], max = 3): string {
  const problems = checksInOrder(checks).filter((c) => c.status !== "PASS");
  const shown = problems.slice(0, max).map((c) => c.message);
  const more = problems.length - shown.length;
  return shown.join("; ") + (more > 0 ? `; and ${more} more` : "");
}

export const VERDICTS: ReadinessVerdict[] = ["READY", "AT_RISK", "NOT_READY"];

/** How many plans have each verdict (plans whose readiness could not be read are not counted). */
export function verdictCounts(verdicts: (ReadinessVerdict | null | undefined)[]): Record<ReadinessVerdict, number> {
  const counts: Record<ReadinessVerdict, number> = { READY: 0, AT_RISK: 0, NOT_READY: 0 };
  for (const v of verdicts) if (v) counts[v] += 1;
  return counts;
}

/**
 * `work(item)` for every item, at most `limit` at a time, each result (or its error) in the item's
 * place: the dashboard reads every plan's readiness without sending them all at once.
 */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: "fulfilled", value: await work(items[index]) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/** The trend of the median recovery time against the previous drills, in words with its indicator. */
export function trendIndicator(trend: DrillTrend): { type: Indicator; text: string } {
  switch (trend) {
    case "FASTER":
      return { type: "success", text: "Faster" };
    case "SLOWER":
      return { type: "warning", text: "Slower" };
    case "STEADY":
      return { type: "info", text: "Steady" };
    default:
      return { type: "pending", text: "Not enough drills to compare" };
  }
}

export interface TrendPoint {
  executionId: string;
  startTime: string;
  seconds: number;
}

/**
 * The chart's points: each drill the API measured a recovery time for (a COMPLETED one), oldest
 * first, with the API's seconds as they are.
 */
export function trendPoints(history: Pick<DrillHistory, "drills">): TrendPoint[] {
  return history.drills
    .filter((d) => d.recoveryTime.seconds !== null && d.recoveryTime.seconds !== undefined)
    .map((d) => ({ executionId: d.executionId, startTime: d.startTime, seconds: d.recoveryTime.seconds as number }))
    .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
}
