import "@cloudscape-design/global-styles/index.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Api } from "./api/client";
import { App } from "./App";
import { loadConfig } from "./config";
import { capabilitiesOf, roleOf, sandboxSession, type Session } from "./session";

async function session(): Promise<Session> {
  const config = await loadConfig();
  if (config.auth === "none") return sandboxSession(config.apiUrl);
  // Deployed: Cognito sign-in and SigV4 signing live in auth.ts, loaded only here.
  const { signIn } = await import("./api/auth");
  const signed = await signIn(config);
  const role = roleOf(signed.groups);
  return {
    api: new Api(config.apiUrl, signed.fetch),
    user: signed.user,
    role,
    can: capabilitiesOf(role),
    signOut: signed.signOut,
  };
}

const root = createRoot(document.getElementById("root")!);
session().then(
  (s) =>
    root.render(
      <StrictMode>
        <App session={s} />
      </StrictMode>,
    ),
  (e: unknown) => {
    const p = document.createElement("p");
    p.textContent = `The console cannot start: ${e instanceof Error ? e.message : String(e)}`;
    document.getElementById("root")!.replaceChildren(p);
  },
);
