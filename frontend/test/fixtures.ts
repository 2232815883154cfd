import type { Execution, Wave } from "../src/api/types";

export function wave(n: number, status: string, extra: Partial<Wave> = {}): Wave {
  return {
    waveNumber: n,
    waveName: ["DB", "App", "Web"][n - 1] ?? `Wave${n}`,
    status,
    phase: null,
    jobIds: [],
    warnings: [],
    durationSeconds: null,
    progress: { totalServers: 2, launched: 0, converting: 0, ready: 0, failed: 0 },
    ...extra,
  };
}

export function execution(status: string, waves: string[], extra: Partial<Execution> = {}): Execution {
  return {
    executionId: "e-1",
    planId: "p-1",
    planName: "3TierRecoveryPlan",
    executionType: "DRILL",
    status: status as Execution["status"],
    statusLabel: status.replace(/_/g, " "),
    totalWaves: waves.length,
    waves: waves.map((s, i) => wave(i + 1, s)),
    canTerminate: { canTerminate: false, reason: "Execution is still active", hasRecoveryInstances: false },
    ...extra,
  } as Execution; // a console fixture: only what the component under test reads
}
