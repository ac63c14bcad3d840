/**
 * SHA-256 and canonical JSON: the same hash in the browser, the server and the CLI. The digest
 * comes from node:crypto when the runtime hands it out synchronously (`process.getBuiltinModule`,
 * Node >= 20.16; no import, so bundles stay browser-safe), else from `@noble/hashes` (audited,
 * synchronous, pure JS; `crypto.subtle` is asynchronous): same bytes in, same digest out
 * (`hash.test.ts` checks both against each other).
 *
 * The canonical JSON writer is the project's one: the IR hash (`compile.ts#hashIr`), schema
 * cache keys (`json-schema-validator.ts`) and the audit ledger's entry hashes
 * (`server/domain/audit/canonical.ts`, in the {@link CanonicalForm} `"ledger"`) all use it.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();

/** An incremental SHA-256: node:crypto's `Hash` or noble's, behind one face. */
interface Hasher {
  /** Consumes `data` synchronously: the caller may reuse the buffer at once. */
  update(data: Uint8Array): unknown;
  hex(): string;
}

/** node:crypto's `Hash`, the part used here. */
interface NativeHash {
  update(data: Uint8Array): unknown;
  digest(encoding: "hex"): string;
}

/** node:crypto's `createHash`, when available synchronously and correct; else undefined. */
const nativeCreateHash = ((): ((algorithm: "sha256") => NativeHash) | undefined => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const mod = proc?.getBuiltinModule?.("node:crypto") as
      { createHash?: (algorithm: "sha256") => NativeHash } | undefined;
    const createHash = mod?.createHash;
    if (typeof createHash !== "function") return undefined;
    const probe = createHash("sha256");
    probe.update(new Uint8Array([0x61, 0x62, 0x63]));
    return probe.digest("hex") ===
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
      ? createHash
      : undefined;
  } catch {
    return undefined;
  }
})();

/** `"js"` forces the pure-JS SHA-256 (`@noble/hashes`; tests, benchmarks); `"auto"` prefers node:crypto. */
export type Sha256Impl = "auto" | "js";

function createHasher(impl: Sha256Impl): Hasher {
  if (impl === "auto" && nativeCreateHash) {
    const native = nativeCreateHash("sha256");
    return { update: (data) => native.update(data), hex: () => native.digest("hex") };
  }
  const h = sha256.create();
  return { update: (data) => h.update(data), hex: () => bytesToHex(h.digest()) };
}

/**
 * SHA-256 of a string (UTF-8 encoded) or bytes, as lower-case hex.
 *
 * @example
 * sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 */
export function sha256Hex(input: string | Uint8Array, impl: Sha256Impl = "auto"): string {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  if (impl === "auto" && nativeCreateHash) {
    const native = nativeCreateHash("sha256");
    native.update(bytes);
    return native.digest("hex");
  }
  return bytesToHex(sha256(bytes));
}

/** `JSON.stringify` of object keys, memoised (IR objects repeat the same few dozen keys). */
const quotedKeys = new Map<string, string>();

function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < 10_000) quotedKeys.set(k, q);
  }
  return q;
}

/**
 * Key lists in canonical order, cached by shape: objects built by the same code list the same
 * keys in the same order; candidates are found by first key and confirmed element by element.
 * One cache per order (the two forms order keys differently).
 */
type ShapeCache = Map<string, Array<{ keys: string[]; ordered: string[] }>>;
const irShapes: ShapeCache = new Map();
const ledgerShapes: ShapeCache = new Map();

function orderedKeys(keys: string[], ledger: boolean): string[] {
  const n = keys.length;
  if (n < 2 && !(ledger && n === 1 && keys[0] === "__proto__")) return keys;
  const shapes = ledger ? ledgerShapes : irShapes;
  const first = keys[0]!;
  let list = shapes.get(first);
  if (list) {
    outer: for (const s of list) {
      const k = s.keys;
      if (k.length !== n) continue;
      for (let i = 1; i < n; i++) if (k[i] !== keys[i]) continue outer;
      return s.ordered;
    }
  } else if (shapes.size < 1000) {
    list = [];
    shapes.set(first, list);
  }
  const ordered = ledger ? ledgerKeys(keys) : keys.slice().sort();
  if (list && list.length < 16) list.push({ keys, ordered });
  return ordered;
}

const NO_OMIT: ReadonlySet<string> = new Set();

/**
 * The two forms of canonical JSON. Both sort object keys, drop `undefined` members and write no
 * whitespace; they differ only on values JSON cannot hold and on keys that look like numbers:
 *
 * - `"ir"` (the default; {@link canonicalSha256} hashes it): keys in plain string order; a
 *   `Date` or any other object is its own enumerable keys (`{}`); a function or symbol member is
 *   `null`. The IR hashes stored with every flow version were computed over this form.
 * - `"ledger"`: what the audit ledger's stored entry hashes were computed over, the text of
 *   `JSON.stringify` of a key-sorted copy of the value: a `Date` is its ISO string; function and
 *   symbol members and `__proto__` keys are dropped; and, as JavaScript objects list
 *   integer-like keys (`"2"`, `"10"`) first in numeric order, those keys come first, ascending.
 *   Chains written before keep verifying because this form is exactly theirs.
 */
export type CanonicalForm = "ir" | "ledger";

/**
 * Canonical JSON: object keys sorted, `undefined` members dropped, no whitespace. Keys listed in
 * `omit` are dropped at every depth. `form` picks the {@link CanonicalForm} (default `"ir"`).
 *
 * @example
 * canonicalJson({ b: 1, a: [2, undefined] }); // '{"a":[2,null],"b":1}'
 * canonicalJson({ at: new Date(0) }, undefined, "ledger"); // '{"at":"1970-01-01T00:00:00.000Z"}'
 */
export function canonicalJson(
  value: unknown,
  omit: ReadonlySet<string> = NO_OMIT,
  form: CanonicalForm = "ir",
): string {
  return writeCanonical(value, omit, form === "ledger");
}

/** The keys of a `"ledger"` object in the order `JSON.stringify` lists them on a sorted copy. */
function ledgerKeys(keys: string[]): string[] {
  const ordered: Record<string, true> = {};
  // Assigning in sorted order lets the engine apply its own rule (integer-like keys first, in
  // numeric order); an assignment to `__proto__` creates no own key, as in the ledger's copy.
  for (const k of keys.slice().sort()) ordered[k] = true;
  return Object.keys(ordered);
}

function writeCanonical(value: unknown, omit: ReadonlySet<string>, ledger: boolean): string {
  if (value === null || typeof value !== "object") {
    const json = JSON.stringify(value);
    return json === undefined ? "null" : json;
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += writeCanonical(value[i], omit, ledger);
    }
    return out + "]";
  }
  if (ledger && value instanceof Date) return JSON.stringify(value.toISOString());
  const obj = value as Record<string, unknown>;
  const keys = orderedKeys(Object.keys(obj), ledger);
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || omit.has(k)) continue;
    if (ledger && (typeof v === "function" || typeof v === "symbol")) continue;
    if (first) first = false;
    else out += ",";
    out += quoteKey(k);
    out += ":";
    out += writeCanonical(v, omit, ledger);
  }
  return out + "}";
}

/**
 * Canonical JSON bytes written into a SHA-256 through a small reusable buffer, handed to the
 * hash whenever it fills: hashing a large canonical JSON never materialises it.
 */
class Sha256Writer {
  private readonly buf = new Uint8Array(16_384);
  private pos = 0;

  constructor(private readonly hash: Hasher) {}

  /** Hands the buffered bytes to the hash (which copies what it keeps) and empties the buffer. */
  private flush(): void {
    this.hash.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  bytes(b: Uint8Array): void {
    let i = 0;
    while (i < b.length) {
      if (this.pos === this.buf.length) this.flush();
      const n = Math.min(b.length - i, this.buf.length - this.pos);
      this.buf.set(b.subarray(i, i + n), this.pos);
      this.pos += n;
      i += n;
    }
  }

  byte(c: number): void {
    if (this.pos === this.buf.length) this.flush();
    this.buf[this.pos++] = c;
  }

  /** Writes short pre-encoded bytes. */
  raw(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) {
      this.bytes(b);
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  /** Writes a safe non-negative integer in decimal. */
  uint(v: number): void {
    if (this.pos + 16 > this.buf.length) this.flush();
    const buf = this.buf;
    if (v < 10) {
      buf[this.pos++] = 0x30 + v;
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    for (let x = v; p > this.pos - digits; x = Math.floor(x / 10)) buf[--p] = 0x30 + (x % 10);
  }

  /** Writes `s`, which must be ASCII. */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (this.pos + n > this.buf.length) {
        this.bytes(encoder.encode(s));
        return;
      }
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Writes the JSON text of `s` (as `JSON.stringify(s)`), UTF-8 encoded. */
  jsonString(s: string): void {
    const n = s.length;
    if (this.pos + n + 2 > this.buf.length) this.flush();
    if (this.pos + n + 2 <= this.buf.length) {
      // Fast path: printable ASCII without `"` or `\` is written as is.
      const buf = this.buf;
      let p = this.pos;
      buf[p++] = 0x22;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[p++] = 0x22;
        this.pos = p;
        return;
      }
    }
    // JSON.stringify escapes lone surrogates, so the text is well-formed for UTF-8.
    this.bytes(encoder.encode(JSON.stringify(s)));
  }

  /** The hex digest of everything written. */
  digest(): string {
    this.flush();
    return this.hash.hex();
  }
}

/** How to write the objects of one shape: present keys, sorted, omitted ones left out. */
interface ObjectPlan {
  keys: string[];
  /** Sorted keys to write, each with its pre-encoded `"key":`. */
  fields: Array<{ key: string; prefix: Uint8Array }>;
}

/** Plans by omit set, then by first key (confirmed element by element, like `orderedKeys`). */
const plansByOmit = new WeakMap<ReadonlySet<string>, Map<string, ObjectPlan[]>>();

function planFor(keys: string[], omit: ReadonlySet<string>): ObjectPlan {
  let byFirst = plansByOmit.get(omit);
  if (!byFirst) {
    byFirst = new Map();
    plansByOmit.set(omit, byFirst);
  }
  const n = keys.length;
  const first = n > 0 ? keys[0]! : "";
  let list = byFirst.get(first);
  if (list) {
    outer: for (const plan of list) {
      const k = plan.keys;
      if (k.length !== n) continue;
      for (let i = 1; i < n; i++) if (k[i] !== keys[i]) continue outer;
      return plan;
    }
  } else if (byFirst.size < 1000) {
    list = [];
    byFirst.set(first, list);
  }
  const fields = keys
    .slice()
    .sort()
    .filter((k) => !omit.has(k))
    .map((key) => ({ key, prefix: encoder.encode(`${quoteKey(key)}:`) }));
  const plan = { keys, fields };
  if (list && list.length < 16) list.push(plan);
  return plan;
}

function writeHashed(w: Sha256Writer, value: unknown, omit: ReadonlySet<string>): void {
  switch (typeof value) {
    case "string":
      w.jsonString(value);
      return;
    case "number":
      if (Number.isSafeInteger(value) && value >= 0) w.uint(value);
      else w.ascii(JSON.stringify(value));
      return;
    case "boolean":
      w.ascii(value ? "true" : "false");
      return;
    case "object":
      break;
    default: {
      const json = JSON.stringify(value);
      w.ascii(json === undefined ? "null" : json);
      return;
    }
  }
  if (value === null) {
    w.ascii("null");
    return;
  }
  if (Array.isArray(value)) {
    w.byte(0x5b);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) w.byte(0x2c);
      writeHashed(w, value[i], omit);
    }
    w.byte(0x5d);
    return;
  }
  const obj = value as Record<string, unknown>;
  const { fields } = planFor(Object.keys(obj), omit);
  w.byte(0x7b);
  let first = true;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = obj[f.key];
    if (v === undefined) continue;
    if (first) first = false;
    else w.byte(0x2c);
    w.raw(f.prefix);
    writeHashed(w, v, omit);
  }
  w.byte(0x7d);
}

/**
 * `sha256Hex(canonicalJson(value, omit))`, computed in one pass without building the JSON text
 * (linear in its size, little garbage).
 *
 * @example
 * canonicalSha256({ b: 1, a: 2 }) === sha256Hex('{"a":2,"b":1}'); // true
 */
export function canonicalSha256(
  value: unknown,
  omit: ReadonlySet<string> = NO_OMIT,
  impl: Sha256Impl = "auto",
): string {
  const w = new Sha256Writer(createHasher(impl));
  writeHashed(w, value, omit);
  return w.digest();
}
