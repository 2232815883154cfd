// Deployed sign-in: the Cognito Hosted UI (authorization code + PKCE), then the identity pool turns the
// ID token into the temporary credentials of the IAM role mapped to the user's group, and every API
// call is SigV4-signed with them (service execute-api). The API's IAM policies are the enforcement;
// the groups read here only hide what the API would refuse. Loaded only when config.auth is "cognito".
import { AwsClient } from "aws4fetch";
import type { CognitoConfig } from "../config";
import type { Fetch } from "./client";

const TOKENS = "drs-console.tokens";
const VERIFIER = "drs-console.pkce";

interface Tokens {
  idToken: string;
  refreshToken?: string;
  expiresAt: number; // epoch ms
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}

export interface SignedIn {
  fetch: Fetch;
  user: string;
  groups: string[];
  signOut: () => void;
}

function base64Url(bytes: Uint8Array): string {
  let text = "";
  bytes.forEach((b) => (text += String.fromCharCode(b)));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
}

/** The same path and query on the console's own origin. */
export function viaOrigin(url: string, origin = window.location.origin): string {
  const u = new URL(url);
  return origin + u.pathname + u.search;
}

function redirectUri(): string {
  return window.location.origin + window.location.pathname;
}

async function startSignIn(config: CognitoConfig): Promise<never> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  sessionStorage.setItem(VERIFIER, verifier);
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.userPoolClientId,
    redirect_uri: redirectUri(),
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: challenge,
  });
  window.location.assign(`${config.cognitoDomain}/oauth2/authorize?${params}`);
  return new Promise<never>(() => undefined);
}

async function tokenRequest(config: CognitoConfig, body: Record<string, string>): Promise<Tokens> {
  const response = await fetch(`${config.cognitoDomain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: config.userPoolClientId, ...body }),
  });
  if (!response.ok) throw new Error(`sign-in failed: HTTP ${response.status}`);
  const data = (await response.json()) as { id_token: string; refresh_token?: string; expires_in: number };
  return {
    idToken: data.id_token,
    refreshToken: data.refresh_token ?? body.refresh_token,
    expiresAt: Date.now() + data.expires_in * 1000,
  };
}

async function identity(config: CognitoConfig, target: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`https://cognito-identity.${config.region}.amazonaws.com/`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityService.${target}`,
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${target} failed: HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

async function credentialsFor(config: CognitoConfig, idToken: string): Promise<Credentials> {
  const logins = { [`cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`]: idToken };
  const { IdentityId } = await identity(config, "GetId", { IdentityPoolId: config.identityPoolId, Logins: logins });
  const { Credentials: c } = (await identity(config, "GetCredentialsForIdentity", {
    IdentityId,
    Logins: logins,
  })) as { Credentials: { AccessKeyId: string; SecretKey: string; SessionToken: string; Expiration: number } };
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretKey,
    sessionToken: c.SessionToken,
    expiresAt: c.Expiration * 1000,
  };
}

/** Signs in (redirecting to the Hosted UI when needed) and returns a SigV4-signing fetch. */
export async function signIn(config: CognitoConfig): Promise<SignedIn> {
  const url = new URL(window.location.href);
  const code = url.searchParams.get("code");
  let tokens: Tokens | null = JSON.parse(sessionStorage.getItem(TOKENS) ?? "null") as Tokens | null;
  if (code) {
    tokens = await tokenRequest(config, {
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri(),
      code_verifier: sessionStorage.getItem(VERIFIER) ?? "",
    });
    sessionStorage.removeItem(VERIFIER);
    window.history.replaceState(null, "", redirectUri() + window.location.hash);
  }
  if (!tokens) return startSignIn(config);
  if (tokens.expiresAt < Date.now() + 60_000) {
    if (!tokens.refreshToken) return startSignIn(config);
    tokens = await tokenRequest(config, { grant_type: "refresh_token", refresh_token: tokens.refreshToken });
  }
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));

  let current = tokens;
  let creds = await credentialsFor(config, current.idToken);
  let client = new AwsClient({ ...creds, service: "execute-api", region: config.region });
  const claims = decodeJwt(current.idToken);

  const signedFetch: Fetch = async (input, init) => {
    if (creds.expiresAt < Date.now() + 60_000) {
      if (current.expiresAt < Date.now() + 60_000 && current.refreshToken) {
        current = await tokenRequest(config, { grant_type: "refresh_token", refresh_token: current.refreshToken });
        sessionStorage.setItem(TOKENS, JSON.stringify(current));
      }
      creds = await credentialsFor(config, current.idToken);
      client = new AwsClient({ ...creds, service: "execute-api", region: config.region });
    }
    // Signed for the API's own host and path; sent there, or to the same path on the console's
    // origin, where CloudFront forwards it with the signed headers untouched (no CORS needed).
    const signed = await client.sign(input, init);
    const target = config.apiViaOrigin ? viaOrigin(input) : input;
    return fetch(target, { method: signed.method, headers: signed.headers, body: init?.body });
  };

  return {
    fetch: signedFetch,
    user: String(claims.email ?? claims["cognito:username"] ?? "signed in"),
    groups: Array.isArray(claims["cognito:groups"]) ? (claims["cognito:groups"] as string[]) : [],
    signOut: () => {
      sessionStorage.removeItem(TOKENS);
      const params = new URLSearchParams({ client_id: config.userPoolClientId, logout_uri: redirectUri() });
      window.location.assign(`${config.cognitoDomain}/logout?${params}`);
    },
  };
}
