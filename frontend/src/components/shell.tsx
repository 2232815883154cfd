// Page chrome shared by every page: breadcrumbs (set by each page) and flash notifications.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { BreadcrumbGroupProps } from "@cloudscape-design/components/breadcrumb-group";
import type { FlashbarProps } from "@cloudscape-design/components/flashbar";

export type Crumb = BreadcrumbGroupProps.Item;

interface Shell {
  breadcrumbs: Crumb[];
  setBreadcrumbs: (items: Crumb[]) => void;
  flashes: FlashbarProps.MessageDefinition[];
  notify: (type: FlashbarProps.Type, content: string, header?: string) => void;
}

const ShellContext = createContext<Shell | null>(null);
let flashId = 0;

export function ShellProvider({ children }: { children: ReactNode }) {
  const [breadcrumbs, setBreadcrumbs] = useState<Crumb[]>([]);
  const [flashes, setFlashes] = useState<FlashbarProps.MessageDefinition[]>([]);
  const notify = useCallback((type: FlashbarProps.Type, content: string, header?: string) => {
    const id = `flash-${++flashId}`;
    const dismiss = () => setFlashes((items) => items.filter((f) => f.id !== id));
    setFlashes((items) => [
      { id, type, header, content, dismissible: true, dismissLabel: "Dismiss", onDismiss: dismiss },
      ...items.slice(0, 3),
    ]);
  }, []);
  const value = useMemo(() => ({ breadcrumbs, setBreadcrumbs, flashes, notify }), [breadcrumbs, flashes, notify]);
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
