/** CEL sources parsed once (a bounded cache), for the analysis and the run-time programs. */
import { parse } from "@bufbuild/cel";

export type CelExpr = ReturnType<typeof parse>["expr"];
export type ParsedCel = ReturnType<typeof parse>;

/** A CEL syntax error, `offset` relative to the CEL source. */
export interface CelSyntaxError {
  offset: number;
  message: string;
}

export const PARSE_CACHE_MAX = 20_000;
const parseCache = new Map<string, ParsedCel | CelSyntaxError>();

export function cachedParse(source: string): ParsedCel | CelSyntaxError {
  let r = parseCache.get(source);
  if (r) return r;
  try {
    r = parse(source);
  } catch (e) {
    const loc = (e as { location?: { start?: { offset?: number } } }).location;
    const raw = (e as { rawMessage?: unknown }).rawMessage;
    const message =
      typeof raw === "string"
        ? raw
        : String((e as Error).message ?? e).replace(/^<input>:\d+:\d+: /, "");
    r = { offset: typeof loc?.start?.offset === "number" ? loc.start.offset : 0, message };
  }
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
  parseCache.set(source, r);
  return r;
}

export function isSyntaxError(r: ParsedCel | CelSyntaxError): r is CelSyntaxError {
  return (r as CelSyntaxError).message !== undefined && (r as ParsedCel).expr === undefined;
}
