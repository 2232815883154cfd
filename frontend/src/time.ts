// Every timestamp the console shows goes through formatTime: to the second, with its time zone
// named, in UTC (as the report, the emails and drsctl print it) or in the browser's zone, as the
// operator prefers (a preference kept in the browser).
import { readStored, writeStored } from "./components/preferences";

export type TimeZonePreference = "UTC" | "LOCAL";

const KEY = "drs-console.time-zone";
let current: TimeZonePreference = readStored<TimeZonePreference>(KEY, "UTC") === "LOCAL" ? "LOCAL" : "UTC";

export function timeZonePreference(): TimeZonePreference {
  return current;
}

export function setTimeZonePreference(zone: TimeZonePreference): void {
  current = zone;
  writeStored(KEY, zone);
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "+01:00" style offset name of a local time: "UTC+1", "UTC-3:30", "UTC" when there is none. */
export function offsetName(offsetMinutesEast: number): string {
  if (offsetMinutesEast === 0) return "UTC";
  const sign = offsetMinutesEast > 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutesEast);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  return `UTC${sign}${h}${m ? `:${pad(m)}` : ""}`;
}

/**
 * An ISO timestamp as "2026-12-07 20:42:53 UTC" (the report's format) or, in local time,
 * "2026-12-07 21:42:53 UTC+1". Whole seconds, never rounded up: the API's seconds exactly.
 */
export function formatTime(iso: string | null | undefined, zone: TimeZonePreference = current): string {
  if (!iso) return "-";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (zone === "UTC") {
    return (
      `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
      `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`
    );
  }
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${offsetName(-date.getTimezoneOffset())}`
  );
}
