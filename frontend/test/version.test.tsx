import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { VersionFooter } from "../src/components/VersionFooter";
import { sandboxSession } from "../src/session";
import { fakeFetch, renderAt } from "./setup";

describe("VersionFooter", () => {
  it("shows the version GET /health answers (the deployed stack's)", async () => {
    // Given an API whose /health answers version 7.8.9; When the footer renders; Then it shows it
    const { fetcher, calls } = fakeFetch({ "GET /health": [200, { status: "ok", version: "7.8.9" }] });
    renderAt(<VersionFooter />, { path: "/", route: "/", session: sandboxSession("", fetcher) });
    expect(await screen.findByText("DRS Orchestrator 7.8.9")).toBeTruthy();
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(["GET /health"]);
  });

  it("shows nothing when /health cannot be read", async () => {
    // Given an API whose /health fails; When the footer renders; Then no version line is shown
    const { fetcher, calls } = fakeFetch({ "GET /health": [503, { error: { code: "STARTING", message: "starting" } }] });
    const { container } = renderAt(<VersionFooter />, { path: "/", route: "/", session: sandboxSession("", fetcher) });
    await waitFor(() => expect(calls.length).toBe(1));
    expect(container.querySelector('[data-testid="version"]')).toBeNull();
  });
});

