// The drill trend chart: each measured drill's recovery time, the plan's recovery time objective and
// the API's p50/p95 of the last drills as thresholds. Its own module, loaded when a plan page shows
// it (React.lazy), so the chart library stays out of the bundle every other page loads.
import LineChart from "@cloudscape-design/components/line-chart";
import Box from "@cloudscape-design/components/box";
import type { LineChartProps } from "@cloudscape-design/components/line-chart";
import type { TrendPoint } from "../api/readiness";
import { formatDuration } from "../status";
import { formatTime } from "../time";

export interface DrillTrendChartProps {
  points: TrendPoint[];
  /** The plan's recovery time objective, in seconds (null: none set). */
  targetSeconds: number | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
  /** N of "the last N drills" the percentiles are taken over. */
  last: number;
}

export default function DrillTrendChart({ points, targetSeconds, p50Seconds, p95Seconds, last }: DrillTrendChartProps) {
  const series: LineChartProps<Date>["series"][number][] = [
    {
      type: "line",
      title: "Recovery time",
      data: points.map((p) => ({ x: new Date(p.startTime), y: p.seconds })),
      valueFormatter: (y) => formatDuration(y),
    },
  ];
  if (targetSeconds !== null) {
    series.push({ type: "threshold", title: "Recovery time objective", y: targetSeconds, valueFormatter: formatDuration });
  }
  if (p50Seconds !== null) {
    series.push({ type: "threshold", title: `p50 of the last ${last}`, y: p50Seconds, valueFormatter: formatDuration });
  }
  if (p95Seconds !== null) {
    series.push({ type: "threshold", title: `p95 of the last ${last}`, y: p95Seconds, valueFormatter: formatDuration });
  }
  const highest = Math.max(0, targetSeconds ?? 0, p95Seconds ?? 0, ...points.map((p) => p.seconds));
  return (
    <div data-testid="drill-trend-chart" data-drills={points.length}>
      <LineChart<Date>
        series={series}
        xScaleType="time"
        xTitle="Drill started"
        yTitle="Recovery time"
        yDomain={[0, Math.max(60, Math.ceil(highest * 1.1))]}
        height={240}
        hideFilter
        ariaLabel="Recovery time of each drill"
        ariaDescription="Each completed drill's recovery time, with the recovery time objective and the p50 and p95 of the last drills"
        i18nStrings={{
          xTickFormatter: (d) => formatTime(d.toISOString()),
          yTickFormatter: (y) => formatDuration(y),
          detailPopoverDismissAriaLabel: "Dismiss",
          legendAriaLabel: "Legend",
          chartAriaRoleDescription: "line chart",
        }}
        empty={
          <Box textAlign="center" color="inherit">
            No drill has a recovery time yet: it is measured when a drill completes.
          </Box>
        }
      />
    </div>
  );
}
