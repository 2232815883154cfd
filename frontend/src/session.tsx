// Who is using the console and what the API would let them do. In the sandbox there is no sign-in
// and every action is shown; deployed, the Cognito groups (mapped by the identity pool to IAM roles
// that are the real enforcement) decide which buttons are shown.
import { createContext, useContext } from "react";
import { Api } from "./api/client";

export type Role = "Viewers" | "Operators" | "Administrators";

export interface Capabilities {
  /** Start drills; pause, resume, cancel; terminate a drill's instances. */
  operate: boolean;
  /** Manage groups and plans; start a real recovery; terminate a recovery's instances. */
  administer: boolean;
}

export interface Session {
  api: Api;
  user: string | null;
  role: Role | "sandbox";
  can: Capabilities;
  signOut?: () => void;
}

export function capabilitiesOf(role: Role | "sandbox"): Capabilities {
  return {
    operate: role === "sandbox" || role === "Operators" || role === "Administrators",
    administer: role === "sandbox" || role === "Administrators",
  };
}

/** The strongest of the user's groups (an unknown or missing group reads only). */
export function roleOf(groups: string[]): Role {
  if (groups.includes("Administrators")) return "Administrators";
  if (groups.includes("Operators")) return "Operators";
  return "Viewers";
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionContext");
  return session;
}

export function useApi(): Api {
  return useSession().api;
}

export function sandboxSession(apiUrl = "", fetcher?: ConstructorParameters<typeof Api>[1]): Session {
  return { api: new Api(apiUrl, fetcher), user: null, role: "sandbox", can: capabilitiesOf("sandbox") };
}
