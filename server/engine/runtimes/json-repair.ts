/**
 * Structural JSON repair: turns "almost JSON" (a model's output, a pasted payload) into a value,
 * listing what it changed. Pure, no I/O; the project's one implementation, used by the
 * `data.json.repair` block (`data.ts`) and the agent runtime's answer check
 * (`server/adapters/llm`). Kept rather than `jsonrepair` because both surface the list of
 * changes (the block's `changes` output, the agent's `repair` decisions), which `jsonrepair`
 * does not report.
 *
 * What it repairs:
 * - code fences (```json … ```) and prose before or after the JSON;
 * - trailing commas, missing commas between members, comments (`//`, `/* *\/`);
 * - single-quoted strings, unquoted keys, Python literals (`True`, `False`, `None`);
 * - truncated output: unterminated strings, unclosed objects and arrays, a dangling key or a
 *   half-written literal at the very end.
 *
 * What it never does: invent values. A key whose value was cut off is dropped, not guessed.
 *
 * @example
 * repairJson("```json\n{'subject': 'Welcome',}\n```")
 * // { ok: true, value: { subject: "Welcome" }, repaired: true,
 * //   changes: ["stripped code fence", "converted single-quoted strings", "removed trailing commas"] }
 */

export type JsonRepairResult =
  | { ok: true; value: unknown; repaired: boolean; changes: string[] }
  | { ok: false; error: string; changes: string[] };

class Truncated extends Error {}
class Unparseable extends Error {}

/** A JSON number or a lenient one (`+1`, `.5`, `1.`, a cut-off exponent), matched in place. */
const NUMBER = /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d*)?/y;
const IDENT_START = /[A-Za-z_$]/;
const IDENT = /[A-Za-z0-9_$\-]/;
const LITERALS: Record<string, unknown> = { true: true, false: false, null: null };
const PY_LITERALS: Record<string, unknown> = { True: true, False: false, None: null };

/** A forgiving recursive-descent parser; every deviation from JSON is recorded in `changes`. */
class LenientParser {
  i = 0;
  constructor(
    private readonly s: string,
    private readonly changes: Set<string>,
  ) {}

  get eof() {
    return this.i >= this.s.length;
  }

  skip() {
    for (;;) {
      while (!this.eof && /\s/.test(this.s[this.i]!)) this.i++;
      if (this.s.startsWith("//", this.i)) {
        const end = this.s.indexOf("\n", this.i);
        this.i = end < 0 ? this.s.length : end + 1;
        this.changes.add("removed comments");
      } else if (this.s.startsWith("/*", this.i)) {
        const end = this.s.indexOf("*/", this.i + 2);
        this.i = end < 0 ? this.s.length : end + 2;
        this.changes.add("removed comments");
      } else return;
    }
  }

  value(): unknown {
    this.skip();
    if (this.eof) throw new Truncated();
    const c = this.s[this.i]!;
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"' || c === "'") return this.string();
    if (c === "-" || c === "+" || c === "." || (c >= "0" && c <= "9")) return this.number();
    if (IDENT_START.test(c)) return this.literal();
    throw new Unparseable(`unexpected character ${JSON.stringify(c)} at offset ${this.i}`);
  }

  object(): Record<string, unknown> {
    this.i++; // {
    const out: Record<string, unknown> = {};
    for (;;) {
      if (this.atEnd("}")) return out;
      let key: string;
      try {
        key = this.key();
      } catch (e) {
        if (e instanceof Truncated) {
          this.cutOffMember();
          return out;
        }
        throw e;
      }
      this.skip();
      if (this.eof) {
        this.cutOffMember();
        return out;
      }
      if (this.s[this.i] === ":" || this.s[this.i] === "=") {
        if (this.s[this.i] === "=") this.changes.add("replaced '=' with ':'");
        this.i++;
      } else {
        throw new Unparseable(`expected ':' after key ${JSON.stringify(key)} at offset ${this.i}`);
      }
      this.skip();
      if (this.eof) {
        this.cutOffMember();
        return out;
      }
      out[key] = this.value();
      this.separator("}");
    }
  }

  array(): unknown[] {
    this.i++; // [
    const out: unknown[] = [];
    for (;;) {
      if (this.atEnd("]")) return out;
      try {
        out.push(this.value());
      } catch (e) {
        if (e instanceof Truncated) {
          this.changes.add("closed unclosed objects or arrays");
          return out;
        }
        throw e;
      }
      this.separator("]");
    }
  }

  /**
   * Before a member: skips stray commas; true when the container ends here, at its `close` (which
   * is consumed) or at the end of the text (the container is closed).
   */
  atEnd(close: "}" | "]"): boolean {
    for (;;) {
      this.skip();
      if (this.eof) {
        this.changes.add("closed unclosed objects or arrays");
        return true;
      }
      const c = this.s[this.i]!;
      if (c === close) {
        this.i++;
        return true;
      }
      if (c !== ",") return false;
      this.i++;
      this.changes.add("removed extra commas");
    }
  }

  /** The text ends inside an object member: it is dropped and the object closed. */
  cutOffMember() {
    this.changes.add("removed an incomplete member at the end");
    this.changes.add("closed unclosed objects or arrays");
  }

  /** After a member: a comma (a trailing one is dropped), the closer, or a missing comma. */
  separator(close: "}" | "]") {
    this.skip();
    if (this.eof) return;
    const c = this.s[this.i]!;
    if (c === ",") {
      this.i++;
      this.skip();
      if (this.s[this.i] === close) this.changes.add("removed trailing commas");
      return;
    }
    if (c === close) return;
    if (c === "}" || c === "]") {
      throw new Unparseable(`mismatched ${JSON.stringify(c)} at offset ${this.i}`);
    }
    this.changes.add("inserted missing commas");
  }

  key(): string {
    const c = this.s[this.i]!;
    if (c === '"' || c === "'") {
      const start = this.i;
      const k = this.string();
      // A key cut off mid-string is not a key.
      if (this.eof && this.s[this.i - 1] !== this.s[start]) throw new Truncated();
      return k;
    }
    if (!IDENT_START.test(c) && !(c >= "0" && c <= "9")) {
      throw new Unparseable(`unexpected character ${JSON.stringify(c)} at offset ${this.i}`);
    }
    const start = this.i;
    while (!this.eof && IDENT.test(this.s[this.i]!)) this.i++;
    if (this.eof) throw new Truncated();
    this.changes.add("quoted unquoted keys");
    return this.s.slice(start, this.i);
  }

  string(): string {
    const quote = this.s[this.i]!;
    if (quote === "'") this.changes.add("converted single-quoted strings");
    this.i++;
    let out = "";
    while (!this.eof) {
      const c = this.s[this.i]!;
      if (c === quote) {
        this.i++;
        return out;
      }
      if (c === "\\") {
        const n = this.s[this.i + 1];
        if (n === undefined) {
          this.i++;
          break;
        }
        const simple: Record<string, string> = {
          '"': '"',
          "'": "'",
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (n === "u") {
          const hex = this.s.slice(this.i + 2, this.i + 6);
          if (/^[0-9a-fA-F]{4}$/.test(hex)) {
            out += String.fromCharCode(parseInt(hex, 16));
            this.i += 6;
            continue;
          }
          this.i = this.s.length;
          break;
        }
        out += simple[n] ?? n;
        this.i += 2;
        continue;
      }
      if (c === "\n" || c === "\r") this.changes.add("escaped raw newlines in strings");
      out += c;
      this.i++;
    }
    this.changes.add("closed unterminated strings");
    return out;
  }

  number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) throw new Unparseable(`bad number at offset ${this.i}`);
    let text = m[0];
    this.i += text.length;
    if (text.startsWith("+")) {
      text = text.slice(1);
      this.changes.add("fixed number formats");
    }
    if (/[eE][+-]?$/.test(text)) {
      text = text.replace(/[eE][+-]?$/, "");
      this.changes.add("completed truncated values");
    }
    if (text.endsWith(".") || text.startsWith(".") || text.startsWith("-.")) {
      this.changes.add("fixed number formats");
    }
    const n = Number(text.endsWith(".") ? text.slice(0, -1) : text);
    if (!Number.isFinite(n)) throw new Unparseable(`bad number at offset ${this.i}`);
    return n;
  }

  literal(): unknown {
    const start = this.i;
    while (!this.eof && /[A-Za-z]/.test(this.s[this.i]!)) this.i++;
    const word = this.s.slice(start, this.i);
    if (word in LITERALS) return LITERALS[word];
    if (word in PY_LITERALS) {
      this.changes.add("replaced Python literals");
      return PY_LITERALS[word];
    }
    if (this.eof) {
      // A literal cut off at the end: `tru` -> true.
      const whole = Object.keys(LITERALS).find((l) => l.startsWith(word) && word.length > 0);
      if (whole) {
        this.changes.add("completed truncated values");
        return LITERALS[whole];
      }
    }
    throw new Unparseable(`unexpected word ${JSON.stringify(word)} at offset ${start}`);
  }
}

function parseLenient(text: string, changes: Set<string>): { value: unknown; end: number } {
  const p = new LenientParser(text, changes);
  const value = p.value();
  p.skip();
  return { value, end: p.i };
}

const FENCE = /```[A-Za-z0-9_-]*[ \t]*\r?\n?([\s\S]*?)(?:```|$)/;

/**
 * Parses `text` as JSON, repairing it when it is not. `repaired` is false when `text` was valid
 * JSON as it stood.
 */
export function repairJson(text: string): JsonRepairResult {
  try {
    return { ok: true, value: JSON.parse(text), repaired: false, changes: [] };
  } catch {
    // repair below
  }
  const changes = new Set<string>();
  let body = text;
  const fence = FENCE.exec(text);
  if (fence) {
    body = fence[1]!;
    changes.add("stripped code fence");
    if (text.slice(0, fence.index).trim() || text.slice(fence.index + fence[0].length).trim()) {
      changes.add("removed text around JSON");
    }
  }
  // Try the whole body first, then every place a JSON object or array could start.
  const starts = [0];
  for (let i = 0; i < body.length && starts.length < 50; i++) {
    if ((body[i] === "{" || body[i] === "[") && i > 0) starts.push(i);
  }
  let lastError = "no JSON value found";
  for (const start of starts) {
    const attempt = new Set(changes);
    const leading = body.slice(0, start);
    const trimmedStart = start === 0 ? body.length - body.trimStart().length : start;
    if (start > 0 && leading.trim()) attempt.add("removed text around JSON");
    try {
      const { value, end } = parseLenient(body.slice(trimmedStart), attempt);
      if (start === 0 && typeof value !== "object" && body.trim().length > end + 1) {
        // A bare word or number followed by prose is not the JSON we are looking for.
        throw new Unparseable("prose");
      }
      if (body.slice(trimmedStart + end).trim()) attempt.add("removed text around JSON");
      return { ok: true, value, repaired: true, changes: [...attempt] };
    } catch (e) {
      if (e instanceof Truncated) lastError = "the text ends before any value";
      else if (e instanceof Unparseable && e.message !== "prose") lastError = e.message;
    }
  }
  return { ok: false, error: `Could not repair the JSON: ${lastError}.`, changes: [...changes] };
}
