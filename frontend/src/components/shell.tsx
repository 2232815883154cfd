// Page chrome shared by every page: breadcrumbs (set by each page), flash notifications and the
// help panel.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { BreadcrumbGroupProps } from "@cloudscape-design/components/breadcrumb-group";
import type { FlashbarProps } from "@cloudscape-design/components/flashbar";

export type Crumb = BreadcrumbGroupProps.Item;

/** How long a success message stays (ms) before it dismisses itself; errors stay until dismissed. */
export const SUCCESS_FLASH_MS = 8000;

export interface Flash {
  id: string;
  type: FlashbarProps.Type;
  content: string;
  header?: string;
  /** The page (router path) the message belongs to: it is dropped when the operator leaves it. */
  path: string;
}

export interface NotifyOptions {
  header?: string;
  /** The page the message is for, when the action that raised it goes on to another page. */
  path?: string;
}

interface Shell {
  breadcrumbs: Crumb[];
  setBreadcrumbs: (items: Crumb[]) => void;
  flashes: Flash[];
  notify: (type: FlashbarProps.Type, content: string, options?: NotifyOptions) => void;
  dismiss: (id: string) => void;
  /** Drops the messages of other pages (called as the operator moves to `path`). */
  leave: (path: string) => void;
  help: string | null;
  openHelp: (topic: string) => void;
  closeHelp: () => void;
}

const ShellContext = createContext<Shell | null>(null);
let flashId = 0;

/** The messages kept when the operator arrives on `path`: only those raised for it. */
export function flashesOn(flashes: Flash[], path: string): Flash[] {
  return flashes.filter((f) => f.path === path);
}

/** The router path of the page shown (the console uses a hash router). */
export const hashPath = () => window.location.hash.replace(/^#/, "").split("?")[0] || "/";

export function ShellProvider({
  children,
  path = hashPath,
  successMs = SUCCESS_FLASH_MS,
}: {
  children: ReactNode;
  path?: () => string;
  /** How long a success message stays (injected by tests). */
  successMs?: number;
}) {
  const [breadcrumbs, setBreadcrumbs] = useState<Crumb[]>([]);
  const [flashes, setFlashes] = useState<Flash[]>([]);
  const [help, setHelp] = useState<string | null>(null);
  const pathRef = useRef(path);
  pathRef.current = path;
  const timers = useRef(new Map<string, number>());
  const dismiss = useCallback((id: string) => {
    setFlashes((items) => items.filter((f) => f.id !== id));
    const timer = timers.current.get(id);
    if (timer !== undefined) window.clearTimeout(timer);
    timers.current.delete(id);
  }, []);
  const notify = useCallback(
    (type: FlashbarProps.Type, content: string, options: NotifyOptions = {}) => {
      const id = `flash-${++flashId}`;
      const flash: Flash = { id, type, content, header: options.header, path: options.path ?? pathRef.current() };
      setFlashes((items) => [flash, ...items].slice(0, 5));
      if (type === "success") timers.current.set(id, window.setTimeout(() => dismiss(id), successMs));
    },
    [dismiss, successMs],
  );
  const leave = useCallback((to: string) => setFlashes((items) => flashesOn(items, to)), []);
  useEffect(() => {
    const all = timers.current;
    return () => all.forEach((t) => window.clearTimeout(t));
  }, []);
  const value = useMemo(
    () => ({
      breadcrumbs,
      setBreadcrumbs,
      flashes,
      notify,
      dismiss,
      leave,
      help,
      openHelp: setHelp,
      closeHelp: () => setHelp(null),
    }),
    [breadcrumbs, flashes, notify, dismiss, leave, help],
  );
  return <ShellContext.Provider value={value}>{children}</ShellContext.Provider>;
}

export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (!shell) throw new Error("useShell outside ShellProvider");
  return shell;
}

export const HOME: Crumb = { text: "DRS Orchestrator", href: "#/" };

/** Sets the page's breadcrumbs (after the home crumb) while it is shown. */
export function useBreadcrumbs(items: Crumb[]): void {
  const { setBreadcrumbs } = useShell();
  const key = JSON.stringify(items);
  useEffect(() => {
    setBreadcrumbs([HOME, ...(JSON.parse(key) as Crumb[])]);
  }, [key, setBreadcrumbs]);
}

export function useNotify() {
  return useShell().notify;
}
