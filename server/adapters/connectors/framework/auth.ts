/**
 * Auth schemes: API key header, bearer token, HTTP basic, OAuth2 client credentials.
 * OAuth2 access tokens are cached per (token URL, client id, scope) until shortly before they
 * expire, and dropped when the API answers 401 so the next call fetches a fresh one.
 */
import { createHash } from "node:crypto";
import { redactUrl } from "@/server/engine/redact";
import { ConnectorError, EngineError, NonRetryableError, TimeoutError } from "./classify";
import type { AuthConfig } from "./types";

interface CachedToken {
  accessToken: string;
  /** Epoch ms after which the token is not used any more. */
  expiresAt: number;
}

/** Refresh this long before the server-given expiry, so a token never expires mid-flight. */
const EXPIRY_MARGIN_MS = 30_000;
const DEFAULT_TOKEN_TTL_S = 3600;

/** Caches OAuth2 tokens; one per runtime (tests make their own). */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(a: Extract<AuthConfig, { type: "oauth2_client_credentials" }>) {
    // The secret's digest is part of the key: a workspace that names another's token URL and
    // client id, but not its secret, never gets that workspace's cached token.
    const secret = createHash("sha256").update(a.clientSecret).digest("base64url");
    return `${a.tokenUrl}\n${a.clientId}\n${a.scope ?? ""}\n${secret}`;
  }

  /** A valid access token: cached, or fetched (concurrent callers share one fetch). */
  async get(
    auth: Extract<AuthConfig, { type: "oauth2_client_credentials" }>,
    fetchImpl: typeof fetch,
    signal: AbortSignal,
  ): Promise<string> {
    const key = this.key(auth);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.accessToken;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetchToken(auth, fetchImpl, signal, this.now).finally(() =>
        this.inflight.delete(key),
      );
      this.inflight.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return token.accessToken;
  }

  /** Forgets the token (the API rejected it). */
  invalidate(auth: Extract<AuthConfig, { type: "oauth2_client_credentials" }>): void {
    this.tokens.delete(this.key(auth));
  }
}

async function fetchToken(
  auth: Extract<AuthConfig, { type: "oauth2_client_credentials" }>,
  fetchImpl: typeof fetch,
  signal: AbortSignal,
  now: () => number,
): Promise<CachedToken> {
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (auth.scope) form.set("scope", auth.scope);
  let res: Response;
  try {
    res = await fetchImpl(auth.tokenUrl, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        // client_secret_basic (RFC 6749 §2.3.1): both parts form-encoded, then base64.
        authorization: basic(
          encodeURIComponent(auth.clientId),
          encodeURIComponent(auth.clientSecret),
        ),
      },
      body: form.toString(),
      signal,
    });
  } catch (err) {
    if (signal.aborted)
      throw new TimeoutError(0, { cause: err, detail: { phase: "oauth2-token" } });
    // Refusals and limits of the egress guard keep their own class and message.
    if (err instanceof EngineError) throw err;
    throw new ConnectorError(
      `OAuth2 token request to ${redactUrl(auth.tokenUrl)} failed: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const text = await res.text();
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    throw new NonRetryableError(
      `OAuth2 token request was refused (HTTP ${res.status}): check the client id and secret`,
      {
        classification: { category: "auth", severity: "high" },
        detail: { status: res.status },
      },
    );
  }
  if (!res.ok) {
    throw new ConnectorError(`OAuth2 token request failed with HTTP ${res.status}`, {
      detail: { status: res.status },
    });
  }
  let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (err) {
    throw new ConnectorError("OAuth2 token response is not JSON", { cause: err });
  }
  if (typeof body.access_token !== "string" || body.access_token === "") {
    throw new ConnectorError("OAuth2 token response has no access_token");
  }
  const ttl =
    typeof body.expires_in === "number" && body.expires_in > 0
      ? body.expires_in
      : DEFAULT_TOKEN_TTL_S;
  return {
    accessToken: body.access_token,
    expiresAt: now() + Math.max(0, ttl * 1000 - EXPIRY_MARGIN_MS),
  };
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Headers that authenticate one call. */
export async function authHeaders(
  auth: AuthConfig,
  tokens: TokenCache,
  fetchImpl: typeof fetch,
  signal: AbortSignal,
): Promise<Record<string, string>> {
  switch (auth.type) {
    case "none":
      return {};
    case "api_key":
      return { [auth.header ?? "X-API-Key"]: auth.key };
    case "bearer":
      return { authorization: `Bearer ${auth.token}` };
    case "basic":
      return { authorization: basic(auth.username, auth.password) };
    case "oauth2_client_credentials":
      return { authorization: `Bearer ${await tokens.get(auth, fetchImpl, signal)}` };
  }
}
