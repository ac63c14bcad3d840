/**
 * What the block parser (`fast-yaml.ts`) and the flow parser (`fast-yaml-flow.ts`) of the YAML
 * fast path share: how they give up (`DECLINE`), the character classes they
 * test, and the scanner of a quoted scalar (one line, no escapes). Stateless: each function reads
 * the text at an offset.
 */
import type { AstScalar } from "./ast";

/** Thrown (one shared instance) to abandon the fast path; never escapes `fastParseAst`. */
export const DECLINE = { declined: true } as const;

// Character codes: each fast-path module declares those it tests (see `fast-yaml.ts`).
const NL = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const SQ = 0x27;
const DQ = 0x22;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;

/** Flow indicators `,[]{}`. */
export function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACK || c === RBRACK || c === LBRACE || c === RBRACE;
}

/**
 * Characters a plain scalar may not start with (YAML indicators), `-` excepted: the callers
 * check `- ` themselves and `-1` / `-x` are plain scalars.
 */
export function isBadPlainStart(c: number): boolean {
  switch (c) {
    case 0x3f: // ?
    case COLON:
    case COMMA:
    case LBRACK:
    case RBRACK:
    case LBRACE:
    case RBRACE:
    case HASH:
    case 0x26: // &
    case 0x2a: // *
    case 0x21: // !
    case 0x7c: // |
    case 0x3e: // >
    case SQ:
    case DQ:
    case 0x25: // %
    case 0x40: // @
    case 0x60: // `
      return true;
    default:
      return false;
  }
}

/** The offset after the closing quote of the quoted scalar at `p` (single line, no escapes). */
export function quotedEnd(t: string, p: number): number {
  const quote = t.charCodeAt(p);
  let q = p + 1;
  for (;;) {
    if (q >= t.length) throw DECLINE;
    const c = t.charCodeAt(q);
    if (c === NL) throw DECLINE;
    if (c === quote) {
      if (quote === SQ && t.charCodeAt(q + 1) === SQ) {
        q += 2;
        continue;
      }
      return q + 1;
    }
    if (c === BACKSLASH && quote === DQ) throw DECLINE;
    q++;
  }
}

/** The quoted scalar at `p` (single line, no escapes). */
export function quotedScalar(t: string, p: number): AstScalar {
  const end = quotedEnd(t, p);
  let value = t.slice(p + 1, end - 1);
  if (t.charCodeAt(p) === SQ && value.includes("''")) value = value.replace(/''/g, "'");
  return { kind: "scalar", value, span: { start: p, end }, quoted: true };
}
