/**
 * The state one analysis of one document shares between its passes: the text and AST, the
 * options, the diagnostics found so far, the expression sites waiting for reference checks, and
 * the registry's answers (asked once per distinct `uses`).
 */
import { diag, type DiagnosticCode, type DiagnosticData } from "../diagnostics";
import type { AstMap } from "../parse";
import type { Diagnostic, Span } from "../types";
import type { ExprSite, StepModel } from "./model";
import type { BlockResolver, CompileOptions } from "./options";
import { safe } from "./read";

/** What `registry.resolve` answered (undefined: it threw). */
export type Resolution = ReturnType<BlockResolver["resolve"]> | undefined;

export class Analysis {
  readonly diagnostics: Diagnostic[] = [];
  /** Expression occurrences, checked against the steps once every step is known. */
  readonly sites: ExprSite[] = [];
  /** Expression sites record the step's position in `steps:`; duplicates are dropped later. */
  readonly siteOwners = new Map<number, StepModel>();
  /** `registry.resolve` results by `uses` text: flows pin the same few blocks many times. */
  private readonly resolved = new Map<string, Resolution>();

  constructor(
    readonly text: string,
    readonly root: AstMap,
    readonly options: CompileOptions,
  ) {}

  report(
    code: DiagnosticCode,
    span: Span,
    data: DiagnosticData = {},
    extra: Parameters<typeof diag>[3] = {},
  ): void {
    this.diagnostics.push(diag(code, span, data, extra));
  }

  /** `registry.resolve(uses)`, once per distinct text per document; undefined if it throws. */
  resolve(uses: string): Resolution {
    if (this.resolved.has(uses)) return this.resolved.get(uses);
    const r = safe(() => this.options.registry.resolve(uses));
    this.resolved.set(uses, r);
    return r;
  }

  /** `TF3001` (unknown block), `TF3002` (unknown major) or `TF3003` (too old) for a failed resolve. */
  reportUnresolved(
    r: Extract<NonNullable<Resolution>, { ok: false }>,
    span: Span,
    stepId: string,
  ): void {
    const code =
      r.reason === "unknown-block" ? "TF3001" : r.reason === "unknown-major" ? "TF3002" : "TF3003";
    this.report(code, span, { detail: r.message, hint: r.hint }, { stepId });
  }

  /** The text span of `[start, end)` in a CEL source that starts at `base` (else `fallback`). */
  span(base: number | undefined, fallback: Span, start: number, end: number): Span {
    if (base === undefined) return fallback;
    return { start: base + start, end: base + Math.max(start, end) };
  }
}
