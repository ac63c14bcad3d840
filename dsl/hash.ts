/**
 * Synchronous SHA-256 and canonical JSON: the same hash in the browser, the server and the CLI
 * (`crypto.subtle` is asynchronous, `node:crypto` is not in browsers). The digest is computed by
 * node:crypto when the runtime hands it out synchronously (`process.getBuiltinModule`, Node >=
 * 20.16; no import, so bundles stay browser-safe), else by the pure-JS SHA-256 below: same bytes
 * in, same digest out (`hash.test.ts` checks both against each other).
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const encoder = new TextEncoder();

/** The part of node:crypto's `Hash` used here. */
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

/** `"js"` forces the pure-JS SHA-256 (tests, benchmarks); `"auto"` prefers node:crypto. */
export type Sha256Impl = "auto" | "js";
/** Message schedule, reused (the hash is synchronous and never re-entered). */
const W = new Int32Array(64);

/** Compresses the 64-byte block of `buf` at `off` into the state `h`. */
function compress(h: Int32Array, buf: Uint8Array, off: number): void {
  const w = W;
  for (let i = 0; i < 16; i++, off += 4)
    w[i] = (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let hh = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + hh) | 0;
}

/**
 * SHA-256 of a string (UTF-8 encoded) or bytes, as lower-case hex. Full blocks are read straight
 * from the input; only the padded tail is copied.
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
  const n = bytes.length;
  const h = new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const full = n - (n % 64);
  for (let off = 0; off < full; off += 64) compress(h, bytes, off);
  return finish(h, bytes.subarray(full), n);
}

/**
 * Pads the last (< 64) `rest` bytes of a message of `length` bytes — 0x80, zeros, the bit length
 * big-endian in 64 bits — compresses them into `h` and returns the hex digest.
 */
function finish(h: Int32Array, rest: Uint8Array, length: number): string {
  const r = rest.length;
  const tail = new Uint8Array(r + 9 <= 64 ? 64 : 128);
  tail.set(rest);
  tail[r] = 0x80;
  const hi = Math.floor(length / 0x20000000);
  const lo = (length * 8) >>> 0;
  const t = tail.length;
  tail[t - 8] = hi >>> 24;
  tail[t - 7] = hi >>> 16;
  tail[t - 6] = hi >>> 8;
  tail[t - 5] = hi;
  tail[t - 4] = lo >>> 24;
  tail[t - 3] = lo >>> 16;
  tail[t - 2] = lo >>> 8;
  tail[t - 1] = lo;
  for (let off = 0; off < t; off += 64) compress(h, tail, off);
  let out = "";
  for (let i = 0; i < 8; i++) out += (h[i]! >>> 0).toString(16).padStart(8, "0");
  return out;
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
 * Sorted key lists by shape: objects built by the same code list the same keys in the same
 * order; candidates are found by first key and confirmed element by element.
 */
const shapes = new Map<string, Array<{ keys: string[]; sorted: string[] }>>();

function sortedKeys(keys: string[]): string[] {
  const n = keys.length;
  if (n < 2) return keys;
  const first = keys[0]!;
  let list = shapes.get(first);
  if (list) {
    outer: for (const s of list) {
      const k = s.keys;
      if (k.length !== n) continue;
      for (let i = 1; i < n; i++) if (k[i] !== keys[i]) continue outer;
      return s.sorted;
    }
  } else if (shapes.size < 1000) {
    list = [];
    shapes.set(first, list);
  }
  const sorted = keys.slice().sort();
  if (list && list.length < 16) list.push({ keys, sorted });
  return sorted;
}

const NO_OMIT: ReadonlySet<string> = new Set();

/**
 * Canonical JSON: object keys sorted, `undefined` members dropped, no whitespace. Keys listed in
 * `omit` are dropped at every depth.
 */
export function canonicalJson(value: unknown, omit: ReadonlySet<string> = NO_OMIT): string {
  return writeCanonical(value, omit);
}

function writeCanonical(value: unknown, omit: ReadonlySet<string>): string {
  if (value === null || typeof value !== "object") {
    const json = JSON.stringify(value);
    return json === undefined ? "null" : json;
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += writeCanonical(value[i], omit);
    }
    return out + "]";
  }
  const obj = value as Record<string, unknown>;
  const keys = sortedKeys(Object.keys(obj));
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || omit.has(k)) continue;
    if (first) first = false;
    else out += ",";
    out += quoteKey(k);
    out += ":";
    out += writeCanonical(v, omit);
  }
  return out + "}";
}

/**
 * Incremental SHA-256 over a small reusable buffer: bytes are written in, full blocks are
 * compressed as the buffer fills, so hashing a large canonical JSON never materialises it.
 */
class Sha256Writer {
  private readonly h = new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  private readonly buf = new Uint8Array(16_384);
  private pos = 0;
  /** Bytes already compressed. */
  private total = 0;

  /** @param native node:crypto's hash, fed the buffer instead of the JS compression. */
  constructor(private readonly native?: NativeHash) {}

  /** Compresses every full block in the buffer and keeps the remainder at its start. */
  private flush(): void {
    if (this.native) {
      // `update` consumes the bytes synchronously: the buffer can be reused at once.
      this.native.update(this.buf.subarray(0, this.pos));
      this.pos = 0;
      return;
    }
    const full = this.pos - (this.pos % 64);
    for (let off = 0; off < full; off += 64) compress(this.h, this.buf, off);
    this.total += full;
    this.buf.copyWithin(0, full, this.pos);
    this.pos -= full;
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
    if (this.native) {
      this.flush();
      return this.native.digest("hex");
    }
    const length = this.total + this.pos;
    this.flush();
    return finish(this.h, this.buf.subarray(0, this.pos), length);
  }
}

/** How to write the objects of one shape: present keys, sorted, omitted ones left out. */
interface ObjectPlan {
  keys: string[];
  /** Sorted keys to write, each with its pre-encoded `"key":`. */
  fields: Array<{ key: string; prefix: Uint8Array }>;
}

/** Plans by omit set, then by first key (confirmed element by element, like `sortedKeys`). */
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
  const w = new Sha256Writer(
    impl === "auto" && nativeCreateHash ? nativeCreateHash("sha256") : undefined,
  );
  writeHashed(w, value, omit);
  return w.digest();
}
