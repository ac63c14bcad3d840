/**
 * Fast path of phase 1: a single-pass parser for the YAML subset flows are written in, producing
 * exactly the AST (values, kinds and spans) that `parse.ts` derives from eemeli/yaml's Document,
 * 20 to 30 times faster on large flows. It **declines** (returns undefined) on anything outside
 * the subset or anything it is not sure to locate exactly like eemeli/yaml does; the caller then
 * runs the full parser, so errors, diagnostics and exotic YAML are handled by one implementation.
 *
 * The subset: block mappings and sequences (a sequence may sit at its key's indentation; a
 * mapping may start on a `- ` line), single-line plain, single-quoted and double-quoted (no
 * escapes) scalars resolved with the YAML 1.2 core schema, single-line flow sequences and
 * mappings, blank lines and comments. Declined, among others: tabs, CR, control and special
 * Unicode line characters, anchors, aliases, tags, directives, document markers, block scalars,
 * multi-line scalars and flow collections, explicit keys, empty sequence items, duplicate keys,
 * and full-line comments that are neither aligned with the next content line nor with a block
 * collection closing there (eemeli/yaml attaches those to a scalar; comments after an empty
 * value are absorbed by it), or that disagree in indentation with each other.
 *
 * This module holds the entry point and the block structure: indentation, comment placement,
 * block sequences and mappings, and the scanning of plain scalars in block context. What it
 * shares with the flow parser (the decline signal, character classes, quoted scalars) is in
 * `fast-yaml-scan.ts`; one-line flow collections are `fast-yaml-flow.ts`, and
 * plain-scalar resolution with the core schema is `yaml-core-schema.ts`.
 *
 * Guarded by `fast-yaml.test.ts`: on generated, golden and mutated inputs the fast path either
 * declines or returns an AST deep-equal to the full parser's.
 */
import type { AstMap, AstNode, AstPair, AstSeq } from "./ast";
import * as flow from "./fast-yaml-flow";
import * as scan from "./fast-yaml-scan";
import * as schema from "./yaml-core-schema";

// Where modules are wrapped (CommonJS, Vitest, bundler chunks), every use of an imported binding
// is a read through a getter: the hot loops would pay it per character or scalar (the parse
// measured 2 to 4 times slower with imported constants, 12 % with imported functions). So the
// functions are bound once here, and the constants are declared in each module that tests them.
const { DECLINE, isBadPlainStart, quotedEnd, quotedScalar } = scan;
const { flowNode } = flow;
const { resolvePlain } = schema;

/** Deeper nesting than this declines (the full parser then applies its own bound). */
const MAX_DEPTH = 100;
const SP = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const SQ = 0x27;
const DQ = 0x22;
const LBRACK = 0x5b;
const LBRACE = 0x7b;

export { resolvePlain };

/** Characters that make the whole text fall back to the full parser. */
const UNSUPPORTED_CHARS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

class FastParser {
  private readonly len: number;
  /** Start of the current line (block context). */
  private pos = 0;
  /** `range[2]` (end including the rest of its line) of the node parsed last. */
  private end2 = 0;
  // Cache of the last `peek()`.
  private peekFrom = -1;
  private peekIndent = -1;
  private peekContent = -1;
  /** Whether the last `peek()` skipped a full-line comment. */
  private peekComments = false;
  /**
   * Comment lines indented deeper than the next content line (at the end of the text: deeper than
   * column 0): eemeli/yaml gives them to the closing block collection at their column (its
   * `range[2]` then ends at the next content line, which moves the end of its parent). -1 when
   * there are none or they have been placed; left unplaced (deeper than any closing collection:
   * they attach to a scalar), the fast path declines.
   */
  private pendingIndent = -1;
  private pendingEnd = 0;

  constructor(private readonly text: string) {
    this.len = text.length;
  }

  parse(): AstNode {
    const indent = this.peek();
    if (indent !== 0) throw DECLINE; // empty document, or a root that is not at column 0
    const root = this.blockNode(this.peekContent, 0, 0);
    if (this.peek() !== -1 || this.pendingIndent !== -1) throw DECLINE;
    return root;
  }

  /**
   * Skips blank and comment lines from `this.pos` (a line start); returns the indentation of the
   * next content line (its first character at `this.peekContent`), or -1 at the end. Full-line
   * comments must be aligned with that line (column 0 at the end of the text).
   */
  private peek(): number {
    if (this.peekFrom === this.pos) return this.peekIndent;
    if (this.pendingIndent !== -1) throw DECLINE; // comments attached where we cannot tell
    const t = this.text;
    const len = this.len;
    let p = this.pos;
    let commentIndent = -1;
    let indent = -1;
    while (p < len) {
      let q = p;
      while (q < len && t.charCodeAt(q) === SP) q++;
      if (q >= len) break;
      const c = t.charCodeAt(q);
      if (c === NL) {
        p = q + 1;
        continue;
      }
      if (c === HASH) {
        if (commentIndent === -1) commentIndent = q - p;
        else if (commentIndent !== q - p) throw DECLINE;
        const nl = t.indexOf("\n", q);
        p = nl === -1 ? len : nl + 1;
        continue;
      }
      indent = q - p;
      if (commentIndent !== -1 && commentIndent !== indent) {
        if (commentIndent < indent) throw DECLINE;
        this.pendingIndent = commentIndent;
        this.pendingEnd = q; // the next content itself, indentation included
      }
      // Document markers `---` / `...` at column 0.
      if (
        indent === 0 &&
        (c === DASH || c === 0x2e) &&
        t.charCodeAt(q + 1) === c &&
        t.charCodeAt(q + 2) === c
      )
        throw DECLINE;
      this.peekContent = q;
      break;
    }
    if (indent === -1 && commentIndent > 0) {
      this.pendingIndent = commentIndent;
      this.pendingEnd = len;
    }
    this.peekFrom = this.pos;
    this.peekIndent = indent;
    this.peekComments = commentIndent !== -1;
    return indent;
  }

  /** A block node whose first character is at `p` (column `col`): a sequence or a mapping. */
  private blockNode(p: number, col: number, depth: number): AstNode {
    if (depth > MAX_DEPTH) throw DECLINE;
    const t = this.text;
    if (t.charCodeAt(p) === DASH) {
      const n = t.charCodeAt(p + 1);
      if (n === SP || n === NL || p + 1 >= this.len) return this.blockSeq(p, col, depth);
    }
    return this.blockMap(p, col, depth);
  }

  /**
   * The end of a closing block collection at `col` whose last item ended at `end2`: pending
   * comment lines at its column become part of it (`range[2]`), not of its span.
   */
  private close(col: number): void {
    if (this.pendingIndent === col) {
      this.end2 = this.pendingEnd;
      this.pendingIndent = -1;
    }
  }

  private blockSeq(start: number, col: number, depth: number): AstSeq {
    const t = this.text;
    const items: AstNode[] = [];
    let p = start;
    for (;;) {
      // At `-` followed by a space, a newline or the end.
      let q = p + 1;
      while (q < this.len && t.charCodeAt(q) === SP) q++;
      const c = q < this.len ? t.charCodeAt(q) : NL;
      if (c === NL || c === HASH) {
        if (c === HASH && q === p + 1) throw DECLINE;
        // The item starts on a later line, indented further.
        this.pos = this.lineAfter(q);
        const n = this.peek();
        if (n <= col) throw DECLINE; // empty item
        items.push(this.blockNode(this.peekContent, n, depth + 1));
      } else {
        if (c === DASH) {
          const d = t.charCodeAt(q + 1);
          if (d === SP || d === NL || q + 1 >= this.len) throw DECLINE; // `- - x`
        }
        items.push(this.inlineItem(q, q - (p - col), depth + 1));
      }
      const n = this.peek();
      if (n === -1 || n < col) break;
      if (n > col || this.pendingIndent !== -1) throw DECLINE;
      p = this.peekContent;
      if (t.charCodeAt(p) !== DASH) break; // a key after a sequence at its key's indentation
      const d = t.charCodeAt(p + 1);
      if (!(d === SP || d === NL || p + 1 >= this.len)) break;
    }
    const span = { start, end: this.end2 };
    this.close(col);
    return { kind: "seq", items, span };
  }

  /** A sequence item on the `- ` line: a compact mapping, a scalar or a flow collection. */
  private inlineItem(p: number, col: number, depth: number): AstNode {
    if (this.isKeyAt(p)) return this.blockMap(p, col, depth);
    return this.inlineValue(p, depth);
  }

  /** Whether the line content at `p` is `key:` (plain or quoted key). */
  private isKeyAt(p: number): boolean {
    const t = this.text;
    const c = t.charCodeAt(p);
    if (c === SQ || c === DQ) {
      const end = quotedEnd(this.text, p);
      let q = end;
      while (q < this.len && t.charCodeAt(q) === SP) q++;
      if (t.charCodeAt(q) !== COLON) return false;
      const d = t.charCodeAt(q + 1);
      return d === SP || d === NL || q + 1 >= this.len;
    }
    if (isBadPlainStart(c)) return false;
    return this.plainBlockEnd(p).colon;
  }

  /**
   * A value on the current line at `p` (after `key: ` or `- `), then the rest of the line.
   * Sets `end2` and moves `pos` to the next line.
   */
  private inlineValue(p: number, depth: number): AstNode {
    const t = this.text;
    const c = t.charCodeAt(p);
    let node: AstNode;
    let q: number;
    if (c === LBRACK || c === LBRACE) {
      node = flowNode(this.text, p, depth);
      q = node.span.end;
    } else if (c === SQ || c === DQ) {
      node = quotedScalar(this.text, p);
      q = node.span.end;
    } else {
      if (isBadPlainStart(c)) throw DECLINE;
      const r = this.plainBlockEnd(p);
      if (r.colon) throw DECLINE; // `a: b: c`
      node = {
        kind: "scalar",
        value: resolvePlain(t.slice(p, r.end)),
        span: { start: p, end: r.end },
        quoted: false,
      };
      q = r.end;
    }
    this.finishLine(q);
    return node;
  }

  /** After a value ending at `q`: spaces, an optional comment, the newline. */
  private finishLine(q: number): void {
    const t = this.text;
    const from = q;
    while (q < this.len && t.charCodeAt(q) === SP) q++;
    if (q < this.len) {
      const c = t.charCodeAt(q);
      if (c === HASH) {
        if (q === from) throw DECLINE; // a comment must follow white space
      } else if (c !== NL) {
        throw DECLINE;
      }
    }
    this.end2 = this.lineAfter(q);
    this.pos = this.end2;
  }

  /** The start of the line after the one holding `q` (or the end of the text). */
  private lineAfter(q: number): number {
    const nl = this.text.indexOf("\n", q);
    return nl === -1 ? this.len : nl + 1;
  }

  private blockMap(start: number, col: number, depth: number): AstMap {
    if (depth > MAX_DEPTH) throw DECLINE;
    const t = this.text;
    const pairs: AstPair[] = [];
    let keys: Set<string> | undefined;
    let p = start;
    for (;;) {
      // The key.
      const c = t.charCodeAt(p);
      let keyEnd: number;
      let key: string;
      let q: number; // after the `:`
      if (c === SQ || c === DQ) {
        const k = quotedScalar(this.text, p);
        keyEnd = k.span.end;
        key = k.value as string;
        q = keyEnd;
        while (q < this.len && t.charCodeAt(q) === SP) q++;
        if (t.charCodeAt(q) !== COLON) throw DECLINE;
        q++;
        const d = q < this.len ? t.charCodeAt(q) : NL;
        if (d !== SP && d !== NL) throw DECLINE;
      } else {
        if (isBadPlainStart(c) || c === DASH) {
          // `-x:` is a fine key, `- ` is not (a sequence where a key belongs).
          const d = t.charCodeAt(p + 1);
          if (c !== DASH || d === SP || d === NL || p + 1 >= this.len) throw DECLINE;
        }
        const r = this.plainBlockEnd(p);
        if (!r.colon) throw DECLINE;
        keyEnd = r.end;
        const raw = t.slice(p, keyEnd);
        if (raw === "<<" || keyEnd - p > 1000) throw DECLINE;
        key = String(resolvePlain(raw));
        q = r.colonAt + 1;
      }
      // Duplicate keys are errors: the full parser reports them.
      if (keys) {
        if (keys.has(key)) throw DECLINE;
        keys.add(key);
      } else {
        for (const x of pairs) if (x.key === key) throw DECLINE;
        if (pairs.length >= 16) keys = new Set(pairs.map((x) => x.key).concat(key));
      }
      const keySpan = { start: p, end: keyEnd };
      // The value.
      while (q < this.len && t.charCodeAt(q) === SP) q++;
      const v = q < this.len ? t.charCodeAt(q) : NL;
      let value: AstNode;
      if (v === NL || v === HASH) {
        const lineEnd = this.lineAfter(q);
        this.pos = lineEnd;
        const n = this.peek();
        const nc = n === -1 ? 0 : t.charCodeAt(this.peekContent);
        const nd = n === -1 ? 0 : t.charCodeAt(this.peekContent + 1);
        const seqHere =
          n === col && nc === DASH && (nd === SP || nd === NL || this.peekContent + 1 >= this.len);
        if (n > col || seqHere) {
          value = this.blockNode(this.peekContent, n, depth + 1);
        } else {
          // eemeli/yaml lets an empty value absorb the comment lines after it, and blank lines
          // too when it has a comment of its own.
          if (this.peekComments) throw DECLINE;
          // With a comment of its own and more content after it, where the enclosing nodes end
          // depends on what follows (a sequence item at a lower indent ends the map after its
          // indentation, found by the fuzz test): rare in flows, left to the full parser.
          if (v === HASH && n !== -1) throw DECLINE;
          if (v === HASH && lineEnd !== this.len) throw DECLINE;
          // An empty value (null) sits where the key ends; its node ends after the comment.
          value = {
            kind: "scalar",
            value: null,
            span: { start: keyEnd, end: keyEnd },
            quoted: false,
          };
          this.end2 = v === HASH ? lineEnd : q;
        }
      } else {
        if (v === DASH) {
          const d = t.charCodeAt(q + 1);
          if (d === SP || d === NL || q + 1 >= this.len) throw DECLINE; // `key: - x`
        }
        value = this.inlineValue(q, depth + 1);
      }
      pairs.push({
        key,
        keySpan,
        value,
        span: { start: p, end: Math.max(keyEnd, value.span.end) },
      });
      const n = this.peek();
      if (n === -1 || n < col) break;
      if (n > col || this.pendingIndent !== -1) throw DECLINE;
      p = this.peekContent;
      if (t.charCodeAt(p) === DASH) {
        const d = t.charCodeAt(p + 1);
        if (d === SP || d === NL || p + 1 >= this.len) throw DECLINE; // `- ` among keys
      }
    }
    const span = { start, end: this.end2 };
    this.close(col);
    return { kind: "map", pairs, span };
  }

  /**
   * End of a plain scalar in block context starting at `p`: before ` #`, `: `, `:` at the end of
   * the line, or the newline; trailing spaces excluded. `colon` when it ends at a `:` indicator.
   */
  private plainBlockEnd(p: number): { end: number; colon: boolean; colonAt: number } {
    const t = this.text;
    const len = this.len;
    let q = p;
    let end = p;
    while (q < len) {
      const c = t.charCodeAt(q);
      if (c === NL) break;
      if (c === SP) {
        q++;
        continue;
      }
      if (c === HASH && q > p && t.charCodeAt(q - 1) === SP) break;
      if (c === COLON) {
        const d = q + 1 < len ? t.charCodeAt(q + 1) : NL;
        if (d === SP || d === NL) return { end, colon: true, colonAt: q };
      }
      q++;
      end = q;
    }
    return { end, colon: false, colonAt: -1 };
  }
}

/**
 * The AST of `text` when it is within the fast subset, else undefined (use the full parser).
 * Never throws.
 *
 * @example
 * fastParseAst("flow: x\nsteps: []\n")?.kind; // "map"
 */
export function fastParseAst(text: string): AstNode | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    return new FastParser(text).parse();
  } catch (e) {
    if (e === DECLINE) return undefined;
    return undefined; // defensive: any other failure also falls back to the full parser
  }
}
