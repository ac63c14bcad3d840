/**
 * The egress policy as pure functions: which URL, scheme and resolved address a workspace may
 * reach, given its allow-list. The guard (`server/adapters/egress/guard.ts`) applies it at run
 * time to every resolved address and every redirect hop; connector settings apply it at save
 * time to literal URLs (`check-urls.ts`).
 */
import { hasUrlCredentials, redactUrl } from "@/server/engine/redact";
import { classifyAddress, parseAddress } from "./address";
import { EgressError } from "./errors";

/**
 * One allow-list entry: a workspace's (an `EgressAllow` row, any port) or the operator's (a
 * configured model endpoint, {@link operatorRule}: that one port).
 */
export interface EgressRule {
  /** Host name or address literal, lower case, no port. */
  host: string;
  /** Only this port (the effective one: 443/80 when the URL names none); absent: any port. */
  port?: number;
  /** Plain http allowed to this host. */
  allowHttp: boolean;
  /** Loopback, private, link-local, ... resolved addresses allowed for this host. */
  allowPrivate: boolean;
}

/**
 * Whose rules a call is checked against: a workspace's allow-list (what flows call: http.request,
 * connectors, webhooks) or the operator's entries (model endpoints from `TRUSTFLOW_MODELS`).
 * Only the hint of a refusal differs.
 */
export type RuleSource = "workspace" | "operator";

const HINT: Record<RuleSource, string> = {
  workspace:
    "is not reachable from flows unless a workspace admin allow-lists the host (Settings, Outbound access)",
  operator:
    "is reachable by model calls only at the host and port of a model the operator configured (TRUSTFLOW_MODELS)",
};

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

/** The effective port of a URL: its own, or the scheme's default. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

/**
 * The allow-list entry of `host` (exact host match) for `port`: an entry naming a port matches
 * only that port (and never when the port is unknown).
 */
export function ruleFor(
  rules: readonly EgressRule[],
  host: string,
  port?: number,
): EgressRule | undefined {
  const h = normalizeHost(host);
  return rules.find(
    (r) => normalizeHost(r.host) === h && (r.port === undefined || r.port === port),
  );
}

/**
 * The operator-level entry of an endpoint the operator configured (a model's base URL): exactly
 * its host and effective port, plain http when the URL says http, private addresses allowed (a
 * local Ollama at 127.0.0.1 is the operator's choice). Null for a URL that is not http(s).
 */
export function operatorRule(raw: string): EgressRule | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return {
    host: normalizeHost(url.hostname),
    port: portOf(url),
    allowHttp: url.protocol === "http:",
    allowPrivate: true,
  };
}

/**
 * Checks a URL before any DNS lookup: absolute http(s), no credentials, https unless the host is
 * allow-listed with `allowHttp`. Returns the parsed URL; throws an {@link EgressError}.
 */
export function checkUrl(
  raw: string | URL,
  rules: readonly EgressRule[],
  source: RuleSource = "workspace",
): URL {
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
    if (ruleFor(rules, url.hostname, portOf(url))?.allowHttp) return url;
    throw new EgressError(
      "scheme_not_allowed",
      source === "operator"
        ? `plain http to ${url.host} is refused: model calls use https, or http to the host and port of a model the operator configured (TRUSTFLOW_MODELS)`
        : `plain http to ${url.host} is refused: use https, or have a workspace admin allow-list the host for http (Settings, Outbound access)`,
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
 * range needs an allow-list entry with `allowPrivate` (for `port`, when the entry names one);
 * metadata endpoints only when the entry names that very address; unspecified, multicast and
 * broadcast never.
 */
export function checkAddress(
  host: string,
  address: string,
  rules: readonly EgressRule[],
  port?: number,
  source: RuleSource = "workspace",
): void {
  const c = classifyAddress(address);
  if (c.public && !c.metadata) return;
  const rule = ruleFor(rules, host, port);
  const allowed =
    !NEVER.has(c.range) &&
    rule?.allowPrivate === true &&
    (!c.metadata || normalizeHost(rule.host) === c.address);
  if (allowed) return;
  const what = c.metadata ? "a cloud metadata endpoint" : `a ${c.range} address`;
  const via = normalizeHost(host) === c.address ? "" : ` (${host} resolves to it)`;
  throw new EgressError(
    "forbidden_address",
    `outbound call to ${c.address}${source === "operator" && port !== undefined ? ` port ${port}` : ""}${via} refused: ${what} ${HINT[source]}`,
    { host, address: c.address, range: c.range, ...(port === undefined ? {} : { port }) },
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
