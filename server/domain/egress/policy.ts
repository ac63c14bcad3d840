/**
 * The egress policy as pure functions: which URL, scheme and resolved address a workspace may
 * reach, given its allow-list. The guard (`server/adapters/egress/guard.ts`) applies it at run
 * time to every resolved address and every redirect hop; connector settings apply it at save
 * time to literal URLs (`check-urls.ts`).
 */
import { hasUrlCredentials, redactUrl } from "@/server/engine/redact";
import { classifyAddress, parseAddress } from "./address";
import { EgressError } from "./errors";

/** One allow-list entry of a workspace (an `EgressAllow` row). */
export interface EgressRule {
  /** Host name or address literal, lower case, no port. */
  host: string;
  /** Plain http allowed to this host. */
  allowHttp: boolean;
  /** Loopback, private, link-local, ... resolved addresses allowed for this host. */
  allowPrivate: boolean;
}

/** Ranges that are never a destination, allow-listed or not (0.0.0.0 reaches the local host). */
const NEVER = new Set(["unspecified", "multicast", "broadcast"]);

/**
 * Normalizes a host for comparison: lower case, no brackets, no trailing dot, address literals
 * in canonical form (`::FFFF:127.0.0.1` and `::ffff:7f00:1` are one host).
 */
export function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/\.$/, "");
  const addr = parseAddress(h);
  return addr ? addr.toString() : h.replace(/^\[|\]$/g, "");
}

/** The allow-list entry of `host`, if any (exact host match). */
export function ruleFor(rules: readonly EgressRule[], host: string): EgressRule | undefined {
  const h = normalizeHost(host);
  return rules.find((r) => normalizeHost(r.host) === h);
}

/**
 * Checks a URL before any DNS lookup: absolute http(s), no credentials, https unless the host is
 * allow-listed with `allowHttp`. Returns the parsed URL; throws an {@link EgressError}.
 */
export function checkUrl(raw: string | URL, rules: readonly EgressRule[]): URL {
  let url: URL;
  try {
    url = typeof raw === "string" ? new URL(raw) : new URL(raw.href);
  } catch {
    throw new EgressError(
      "invalid_url",
      `not an absolute URL: ${JSON.stringify(redactUrl(String(raw)).slice(0, 200))}`,
    );
  }
  if (hasUrlCredentials(url)) {
    url.username = "";
    url.password = "";
    throw new EgressError(
      "credentials_in_url",
      `credentials inside URLs are refused (${url.protocol}//${url.host}): put them in a connector credential or a workspace secret sent in a header`,
      { host: url.host },
    );
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:") {
    if (ruleFor(rules, url.hostname)?.allowHttp) return url;
    throw new EgressError(
      "scheme_not_allowed",
      `plain http to ${url.host} is refused: use https, or have a workspace admin allow-list the host for http (Settings, Outbound access)`,
      { host: url.host },
    );
  }
  throw new EgressError(
    "scheme_not_allowed",
    `the ${url.protocol.replace(/:$/, "")} scheme is refused: outbound calls use https`,
    { scheme: url.protocol },
  );
}

/**
 * Checks one resolved (or literal) address of `host`. Public unicast addresses pass; any other
 * range needs an allow-list entry with `allowPrivate`; metadata endpoints only when the entry
 * names that very address; unspecified, multicast and broadcast never.
 */
export function checkAddress(host: string, address: string, rules: readonly EgressRule[]): void {
  const c = classifyAddress(address);
  if (c.public && !c.metadata) return;
  const rule = ruleFor(rules, host);
  const allowed =
    !NEVER.has(c.range) &&
    rule?.allowPrivate === true &&
    (!c.metadata || normalizeHost(rule.host) === c.address);
  if (allowed) return;
  const what = c.metadata ? "a cloud metadata endpoint" : `a ${c.range} address`;
  const via = normalizeHost(host) === c.address ? "" : ` (${host} resolves to it)`;
  throw new EgressError(
    "forbidden_address",
    `outbound call to ${c.address}${via} refused: ${what} is not reachable from flows unless a workspace admin allow-lists the host (Settings, Outbound access)`,
    { host, address: c.address, range: c.range },
  );
}

/**
 * Save-time check of a configured URL (connector base URL, token URL): the URL checks of
 * {@link checkUrl} except the http rule (an admin may allow-list the host later; the call is
 * refused until then) and, for address literals, {@link checkAddress}. Host names are checked
 * again at run time on what they resolve to.
 */
export function checkConfiguredUrl(raw: string, rules: readonly EgressRule[]): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EgressError("invalid_url", "not an absolute URL");
  }
  if (url.protocol === "http:") url.protocol = "https:";
  const checked = checkUrl(url, rules);
  if (parseAddress(checked.hostname)) checkAddress(checked.hostname, checked.hostname, rules);
}
