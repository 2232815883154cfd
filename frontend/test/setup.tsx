import { act, render } from "@testing-library/react";
import createWrapper from "@cloudscape-design/components/test-utils/dom";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { ShellProvider } from "../src/components/shell";
import { SessionContext, sandboxSession, type Session } from "../src/session";

export interface FakeCall {
  method: string;
  url: string;
  body: unknown;
}

/** A fetch that answers from `routes` ("METHOD /path" -> [status, body]) and records every call. */
export function fakeFetch(routes: Record<string, [number, unknown]>) {
  const calls: FakeCall[] = [];
  const fetcher = async (input: string, init?: RequestInit) => {
    const method = init?.method ?? "GET";
    const path = input.split("?")[0];
    calls.push({ method, url: input, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const [status, body] = routes[`${method} ${path}`] ?? [404, { error: { code: "ROUTE_NOT_FOUND", message: path } }];
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  };
  return { fetcher, calls };
}

export function renderAt(
  element: ReactElement,
  { path, route, session }: { path: string; route: string; session?: Session },
) {
  return render(
    <SessionContext.Provider value={session ?? sandboxSession()}>
      <ShellProvider>
        <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path={route} element={element} />
            <Route path="*" element={<div data-testid="navigated" />} />
          </Routes>
        </MemoryRouter>
      </ShellProvider>
    </SessionContext.Provider>,
  );
}

/**
 * Whether an item of the execution's Actions menu is enabled (null when the menu or the item is
 * not there); `click` chooses it when enabled. The menu is opened, read and closed again.
 */
export function actionsMenuItem(container: HTMLElement, id: string, click = false): boolean | null {
  const dropdown = createWrapper(container).findButtonDropdown('[data-testid="execution-actions"]');
  if (!dropdown) return null;
  act(() => dropdown.openDropdown());
  const item = dropdown.findItemById(id);
  const enabled = item ? item.getElement().querySelector('[aria-disabled="true"]') === null : null;
  if (item && click && enabled) {
    act(() => item.find('[role="menuitem"]')!.click());
  } else {
    act(() => dropdown.openDropdown());
  }
  return enabled;
}
