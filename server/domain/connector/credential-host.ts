/**
 * A stored credential stays with the host it was entered for: a change that points a connector
 * holding one at another origin (scheme, host and port of the base URL or the OAuth2 token URL)
 * is refused unless the credential is given again in the same change.
 */
import { AppError } from "../errors";
import type { Row } from "./connector-rows";
import type { AuthSettings } from "./types";

/** `scheme://host:port` of a URL, or the text itself when it does not parse. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * The places a stored credential would newly be sent to: the base URL's or the OAuth2 token URL's
 * origin (scheme, host and port) changing. Empty when nothing moves.
 */
function movedOrigins(
  prior: { baseUrl: string; tokenUrl?: string },
  next: { baseUrl: string; tokenUrl?: string },
): { field: "baseUrl" | "tokenUrl"; from: string; to: string }[] {
  const moved: { field: "baseUrl" | "tokenUrl"; from: string; to: string }[] = [];
  for (const field of ["baseUrl", "tokenUrl"] as const) {
    const from = originOf(prior[field]);
    const to = originOf(next[field]);
    if (from !== undefined && to !== undefined && from !== to) moved.push({ field, from, to });
  }
  return moved;
}

/**
 * Refuses to point a connector holding a credential at another host unless the credential is
 * given again in the same change: the stored secret was entered for the old host and must never
 * follow the connector to a new one (a changed URL would otherwise exfiltrate it).
 */
export function checkCredentialStays(
  prior: Row,
  next: { baseUrl: string; tokenUrl?: string },
  credentialGiven: boolean,
  remedy = "enter the credential again in the same change",
) {
  if (!prior.credential || credentialGiven) return;
  const moved = movedOrigins(
    { baseUrl: prior.baseUrl, tokenUrl: ((prior.authConfig ?? {}) as AuthSettings).tokenUrl },
    next,
  );
  const first = moved[0];
  if (!first) return;
  throw new AppError("INVALID_INPUT", {
    message: `The ${first.field === "baseUrl" ? "base URL" : "token URL"} moves from ${first.from} to ${first.to}: ${remedy}. The stored credential was given for ${first.from} and is never sent to another host.`,
    details: { field: "credential" },
  });
}
