// The execution's Gantt chart: the SAME chart as the drill report's. The API computes it once (the
// JSON report's `gantt`: bars with their start and end, labels, tips); this draws those bars and
// computes none of them. Each bar carries its moments (data-start, data-end) as the report's do.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import type { Api } from "../api/client";
import { ganttOf, type Gantt, type GanttWave } from "../api/pages";
import { useLoad } from "./hooks";

const W = 1000;
const X0 = 215;
const X1 = 985;
const TOP = 30;
const WAVE_ROW = 34;
const SERVER_ROW = 12;
const MORE_ROW = 14;
const AXIS = 34;

const PHASE_COLORS: Record<string, string> = {
  SNAPSHOT: "#9fa8da",
  CONVERTING: "#ffb74d",
  LAUNCHING: "#4fc3f7",
  LAUNCHED: "#81c784",
  READY: "#1b5e20",
  FAILED: "#c62828",
};
const STAGE_COLORS: Record<string, string> = { PRE: "#6a1b9a", POST: "#00838f" };

function clip(text: string, size: number): string {
  return text.length <= size ? text : `${text.slice(0, size - 1)}…`;
}

/** The height the chart takes for its waves and server lanes (as the report lays them out). */
function rowsHeight(waves: GanttWave[]): number {
  return waves.reduce(
    (y, w) => y + WAVE_ROW + w.servers.length * SERVER_ROW + (w.moreServers ? MORE_ROW : 0) + 4,
    TOP,
  );
}

export function GanttChart({ gantt, executionId }: { gantt: Gantt; executionId: string }) {
  if (!gantt.start) {
    return <Box data-testid="gantt-empty">{gantt.description}</Box>;
  }
  const span = Math.max(gantt.spanSeconds, 1);
  const x = (offset: number | null | undefined) =>
    X0 + (Math.min(Math.max(offset ?? span, 0), span) / span) * (X1 - X0);
  const bottom = rowsHeight(gantt.waves);
  let y = TOP;
  const rows = gantt.waves.map((wave) => {
    const top = y;
    y += WAVE_ROW;
    const lanes = wave.servers.map((server) => {
      const laneY = y;
      y += SERVER_ROW;
      return (
        <g key={`${wave.waveNumber}-${server.sourceServerId}`} data-testid="gantt-server" data-server={server.sourceServerId}>
          <text x={X0 - 8} y={laneY + 9} textAnchor="end" fontSize={8.5} fill="#333">
            <title>{server.label}</title>
            {clip(server.name, 34)}
          </text>
          <line x1={X0} x2={X1} y1={laneY + 6} y2={laneY + 6} stroke="#f0f1f3" />
          {server.phases.map((phase) =>
            phase.mark ? (
              <rect
                key={`${phase.phase}-${phase.start}`}
                data-testid="gantt-phase"
                data-phase={phase.phase}
                data-start={phase.start}
                data-end={phase.end ?? ""}
                x={x(phase.startOffset) - 1.5}
                y={laneY + 0.5}
                width={3}
                height={11}
                fill={PHASE_COLORS[phase.phase] ?? "#bbbbbb"}
              >
                <title>{phase.tip}</title>
              </rect>
            ) : (
              <rect
                key={`${phase.phase}-${phase.start}`}
                data-testid="gantt-phase"
                data-phase={phase.phase}
                data-start={phase.start}
                data-end={phase.end ?? ""}
                x={x(phase.startOffset)}
                y={laneY + 2.5}
                width={Math.max(x(phase.endOffset) - x(phase.startOffset), 1.5)}
                height={7}
                fill={PHASE_COLORS[phase.phase] ?? "#bbbbbb"}
              >
                <title>{phase.tip}</title>
              </rect>
            ),
          )}
        </g>
      );
    });
    if (wave.moreServers) y += MORE_ROW;
    y += 4;
    return (
      <g key={wave.waveNumber} data-testid="gantt-wave" data-wave={wave.waveNumber} data-status={wave.status}>
        <line x1={0} x2={W} y1={top} y2={top} stroke="#e8eaed" />
        <text x={X0 - 8} y={top + 15} textAnchor="end" fontSize={12} fontWeight={600} fill="#111">
          {clip(wave.label, 30)}
        </text>
        <text x={X0 - 8} y={top + 28} textAnchor="end" fontSize={10} fill="#444">
          {wave.detail}
        </text>
        {wave.start ? (
          <>
            <rect
              data-testid="gantt-wave-bar"
              data-start={wave.start}
              data-end={wave.end ?? ""}
              x={x(wave.startOffset)}
              y={top + 8}
              width={Math.max(x(wave.endOffset) - x(wave.startOffset), 1.5)}
              height={18}
              fill={wave.color}
              stroke={wave.end ? undefined : "#333"}
              strokeDasharray={wave.end ? undefined : "4 3"}
            >
              <title>{wave.tip ?? ""}</title>
            </rect>
            {wave.stages.map((stage) => (
              <rect
                key={stage.stage}
                data-testid="gantt-stage"
                data-stage={stage.stage}
                data-start={stage.start}
                data-end={stage.end ?? ""}
                x={x(stage.startOffset)}
                y={top + 27.5}
                width={Math.max(x(stage.endOffset) - x(stage.startOffset), 1.5)}
                height={4.5}
                fill={STAGE_COLORS[stage.stage]}
              >
                <title>{stage.tip}</title>
              </rect>
            ))}
          </>
        ) : (
          <text x={X0 + 4} y={top + 21} fontSize={11} fontStyle="italic" fill="#666">
            not run
          </text>
        )}
        {lanes}
        {wave.moreServers > 0 && (
          <text x={X0 - 8} y={y - 4 - MORE_ROW + 10} textAnchor="end" fontSize={10} fontStyle="italic" fill="#444">
            +{wave.moreServers} more server{wave.moreServers === 1 ? "" : "s"} (in the servers table)
          </text>
        )}
      </g>
    );
  });
  return (
    <svg
      data-testid="gantt-chart"
      viewBox={`0 0 ${W} ${bottom + AXIS}`}
      width="100%"
      role="img"
      aria-label={`Timeline of execution ${executionId}. ${gantt.description}`}
      preserveAspectRatio="xMinYMin meet"
      style={{ fontFamily: "sans-serif" }}
    >
      {gantt.pauses.map((pause) => (
        <g key={pause.start} data-testid="gantt-pause" data-start={pause.start} data-end={pause.end ?? ""} data-seconds={pause.seconds ?? ""}>
          <rect
            x={x(pause.startOffset)}
            y={TOP - 12}
            width={Math.max(x(pause.endOffset) - x(pause.startOffset), 2)}
            height={bottom - TOP + 12}
            fill="#fff1a8"
            fillOpacity={0.75}
            stroke="#c9a800"
            strokeDasharray="3 2"
          >
            <title>{pause.tip}</title>
          </rect>
          <text x={x(pause.startOffset) + 3} y={TOP - 3} fontSize={10} fontWeight={600} fill="#6b5800">
            {pause.label}
          </text>
        </g>
      ))}
      <line x1={X0} x2={X1} y1={bottom} y2={bottom} stroke="#333" />
      {gantt.ticks.map((tick) => {
        const tx = X0 + (tick.offset / span) * (X1 - X0);
        return (
          <g key={tick.offset}>
            <line x1={tx} x2={tx} y1={TOP - 12} y2={bottom} stroke="#e3e6ea" />
            <text x={tx} y={bottom + 17} textAnchor="middle" fontSize={10} fill="#333">
              {tick.label}
            </text>
          </g>
        );
      })}
      <text x={X0 - 8} y={bottom + 17} textAnchor="end" fontSize={10} fill="#333">
        {gantt.startLabel}
      </text>
      {rows}
      {gantt.target && (
        <g data-testid="gantt-target">
          <line x1={x(gantt.target.offset)} x2={x(gantt.target.offset)} y1={TOP - 14} y2={bottom} stroke="#b3261e" strokeWidth={1.6} strokeDasharray="6 4" />
          <text x={x(gantt.target.offset) - 3} y={TOP - 18} textAnchor="end" fontSize={10} fontWeight={600} fill="#b3261e">
            {gantt.target.label}
          </text>
        </g>
      )}
      {gantt.recovered && (
        <g data-testid="gantt-recovered" data-at={gantt.recovered.at}>
          <line x1={x(gantt.recovered.offset)} x2={x(gantt.recovered.offset)} y1={TOP - 14} y2={bottom} stroke="#1b5e20" strokeWidth={1.6} />
          <text x={x(gantt.recovered.offset) + 3} y={TOP - 18} fontSize={10} fontWeight={600} fill="#1b5e20">
            {gantt.recovered.label}
          </text>
        </g>
      )}
    </svg>
  );
}

/** The chart of an execution, loaded from its JSON report (reloaded when `version` changes). */
export function GanttPanel({ api, executionId, version }: { api: Api; executionId: string; version: number }) {
  const loaded = useLoad(() => ganttOf(api, executionId), [executionId, version]);
  if (loaded.error) {
    return (
      <Alert type="error" header="Cannot draw the chart">
        {loaded.error.message}
      </Alert>
    );
  }
  if (!loaded.data) return <Spinner />;
  return (
    <SpaceBetween size="xs">
      <Box variant="small" color="text-body-secondary">
        The same chart as the drill report: a bar per wave coloured by its status (its pre- and post-actions
        under it), a lane per server coloured by recovery phase, pauses shaded. Hover a bar for its times.
      </Box>
      <GanttChart gantt={loaded.data} executionId={executionId} />
    </SpaceBetween>
  );
}
