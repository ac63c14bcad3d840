/**
 * The one redactor: every secret that could reach an error message, a log line, run data or the
 * audit ledger passes through here. Pure (no I/O, no clock), so the browser, the engine and the
 * adapters share it.
 *
 * - {@link redactUrl}: credentials inside URLs (`https://user:pass@host`) and the values of
 *   secret-named query parameters (`?api_key=...`), wherever URLs appear in a text.
 * - {@link redactSecrets}: deep-walks strings, arrays and plain objects and replaces every
 *   occurrence of the given secret values (workspace secrets, credentials), plus {@link redactUrl}.
 *
 * @example
 * redactUrl("GET https://bob:hunter2@api.example.com/x failed")
 * // "GET https://[redacted]@api.example.com/x failed"
 * redactSecrets({ error: "token abc123 refused" }, ["abc123"])
 * // { error: "token [redacted] refused" }
 */

/** What every redacted value is replaced by. */
export const REDACTED = "[redacted]";

/** Secret values shorter than this are not searched for (they would redact ordinary words). */
export const MIN_SECRET_LENGTH = 4;

/** `scheme://userinfo@`: the userinfo part (anything up to `@` without `/`, `?`, `#` or space). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi;
/** `?name=value` / `&name=value` with a secret-looking name. */
const SECRET_QUERY =
  /([?&](?:[a-z0-9_.-]*(?:pass(?:word)?|secret|token|api[_-]?key|apikey|access[_-]?key|signature|sig|auth|credential)[a-z0-9_.-]*)=)([^&#\s"'<>]*)/gi;

/**
 * Redacts credentials inside every URL of `text`: the userinfo (`user:pass@`) and the values of
 * secret-named query parameters. Text without URLs is returned unchanged.
 */
export function redactUrl(text: string): string {
  if (!text.includes("://") && !text.includes("?")) return text;
  return text
    .replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(SECRET_QUERY, (_m, name: string) => `${name}${REDACTED}`);
}

/** Whether `url` carries credentials in its userinfo (`user@` or `user:pass@`). */
export function hasUrlCredentials(url: string | URL): boolean {
  try {
    const u = typeof url === "string" ? new URL(url) : url;
    return u.username !== "" || u.password !== "";
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#@]+@/i.test(String(url).trim());
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Builds the replacer of a set of secret values (longest first, so prefixes do not leak tails). */
function secretPattern(secretValues: readonly string[]): RegExp | null {
  const values = [...new Set(secretValues.filter((s) => s.length >= MIN_SECRET_LENGTH))];
  if (values.length === 0) return null;
  values.sort((a, b) => b.length - a.length);
  return new RegExp(values.map(escapeRegExp).join("|"), "g");
}

/** Redacts one string: secret values, then URL credentials. */
export function redactText(text: string, secretValues: readonly string[] = []): string {
  const re = secretPattern(secretValues);
  return redactUrl(re ? text.replace(re, REDACTED) : text);
}

/** Depth beyond which {@link redactSecrets} stops walking (the value is replaced). */
const MAX_DEPTH = 64;

/**
 * Deep-walks `value` (strings, arrays, plain objects and Error messages) and returns a copy in
 * which every occurrence of a secret value, and every credential inside a URL, is replaced by
 * {@link REDACTED}. Object keys are walked too. Cycles and very deep values are cut (replaced by
 * {@link REDACTED}), never walked forever. Other objects (dates, buffers) are returned as they are.
 */
export function redactSecrets<T>(value: T, secretValues: readonly string[] = []): T {
  const re = secretPattern(secretValues);
  const text = (s: string) => redactUrl(re ? s.replace(re, REDACTED) : s);
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return text(v);
    if (v === null || typeof v !== "object") return v;
    if (depth > MAX_DEPTH || seen.has(v)) return REDACTED;
    if (v instanceof Error) {
      const copy = new Error(text(v.message));
      copy.name = v.name;
      return copy;
    }
    if (Array.isArray(v)) {
      seen.add(v);
      const out = v.map((x) => walk(x, depth + 1));
      seen.delete(v);
      return out;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return v;
    seen.add(v);
    const out = Object.fromEntries(
      Object.entries(v).map(([k, x]) => [text(k), walk(x, depth + 1)]),
    );
    seen.delete(v);
    return out;
  };
  return walk(value, 0) as T;
}

/** `scheme://userinfo@` only (no query parameters): what stored run data drops. */
function stripUserinfo(text: string): string {
  return text.includes("://") && text.includes("@")
    ? text.replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
    : text;
}

/**
 * Credentials inside URLs (`https://user:pass@host`) replaced in every string of `value`, deep.
 * Returns `value` itself when nothing changes (no copy on the hot path). For stored run data
 * (step inputs, dead letters): a URL with credentials is refused at the call, and its password
 * must not stay in the run's record either. Query parameters are kept (later steps may need them).
 */
export function redactUrlCredentials<T>(value: T): T {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return stripUserinfo(v);
    if (v === null || typeof v !== "object" || depth > MAX_DEPTH) return v;
    if (Array.isArray(v)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const x = walk(v[i], depth + 1);
        if (x !== v[i]) (out ??= v.slice())[i] = x;
      }
      return out ?? v;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return v;
    let out: Record<string, unknown> | null = null;
    for (const [k, x] of Object.entries(v)) {
      const y = walk(x, depth + 1);
      if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
    }
    return out ?? v;
  };
  return walk(value, 0) as T;
}
