// The runtime configuration, served by the host beside index.html (never built in):
//   sandbox:  {"apiUrl": "", "auth": "none"}   (same origin, no sign-in)
//   deployed: {"apiUrl": "https://....execute-api.<region>.amazonaws.com/prod", "auth": "cognito",
//              "region", "userPoolId", "userPoolClientId", "identityPoolId", "cognitoDomain",
//              "apiViaOrigin": true}   (written by `make deploy-console` from the stack's outputs)

export interface NoAuthConfig {
  apiUrl: string;
  auth: "none";
}

export interface CognitoConfig {
  apiUrl: string;
  auth: "cognito";
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  identityPoolId: string;
  cognitoDomain: string;
  /** The API is also reached on the console's own origin (CloudFront forwards /prod/*): no CORS. */
  apiViaOrigin: boolean;
}

export type ConsoleConfig = NoAuthConfig | CognitoConfig;

export function parseConfig(raw: unknown): ConsoleConfig {
  if (!raw || typeof raw !== "object") throw new Error("config.json is not a JSON object");
  const c = raw as Record<string, unknown>;
  const apiUrl = typeof c.apiUrl === "string" ? c.apiUrl.replace(/\/+$/, "") : "";
  if (c.auth === undefined || c.auth === "none") return { apiUrl, auth: "none" };
  if (c.auth !== "cognito") throw new Error(`config.json: unknown auth ${JSON.stringify(c.auth)}`);
  for (const key of ["region", "userPoolId", "userPoolClientId", "identityPoolId", "cognitoDomain"]) {
    if (typeof c[key] !== "string" || !c[key]) throw new Error(`config.json: missing ${key}`);
  }
  return {
    apiUrl,
    auth: "cognito",
    region: c.region as string,
    userPoolId: c.userPoolId as string,
    userPoolClientId: c.userPoolClientId as string,
    identityPoolId: c.identityPoolId as string,
    cognitoDomain: (c.cognitoDomain as string).replace(/\/+$/, ""),
    apiViaOrigin: c.apiViaOrigin === true,
  };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return parseConfig(await response.json());
}
