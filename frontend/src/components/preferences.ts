// Preferences kept in the browser (localStorage), one JSON value a key; a value that cannot be read
// (storage refused, bad JSON) is the default.
import { useCallback, useState } from "react";

export function readStored<T>(key: string, fallback: T): T {
  try {
    const raw = window.localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function writeStored(key: string, value: unknown): void {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or refused (private mode): the preference holds until the page is left.
  }
}

/** useState whose value is kept in localStorage under `key`, merged over `fallback` (new fields get defaults). */
export function useStoredState<T extends object>(key: string, fallback: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => ({ ...fallback, ...readStored<Partial<T>>(key, {}) }));
  const set = useCallback(
    (next: T) => {
      setValue(next);
      writeStored(key, next);
    },
    [key],
  );
  return [value, set];
}
