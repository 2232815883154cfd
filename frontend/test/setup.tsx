import { render } from "@testing-library/react";
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
