/**
 * The diagnostic catalogue: every diagnostic the compiler emits comes from here.
 *
 * Codes are stable strings `TFnnnn` (never reused, never renumbered), grouped by phase:
 * - `TF1xxx` syntax and document structure (YAML, keys, value shapes)
 * - `TF2xxx` expressions (`${{ }}` CEL, references, types)
 * - `TF3xxx` semantics (blocks, inputs, the step graph, SLA, trust, consent)
 * - `TF4xxx` governance policies
 *
 * A message is a function of the diagnostic's data; tests check codes and spans, never wording.
 * `dsl/README.md` documents the catalogue as a table.
 */
import type { Diagnostic, Severity, Span } from "./types";

/** Data passed to a catalogue message; every field optional, each entry reads what it needs. */
export type DiagnosticData = Record<string, string | number | undefined>;

/** One catalogue entry. */
export interface CatalogueEntry {
  /** Short kebab-case name, for humans and docs. */
  name: string;
  severity: Severity;
  message: (data: DiagnosticData) => string;
  hint?: (data: DiagnosticData) => string | undefined;
}

const s = (v: string | number | undefined): string => (v === undefined ? "?" : String(v));

/** The catalogue. Keys are the stable codes. */
export const diagnosticCatalogue = {
  TF1001: {
    name: "yaml-syntax",
    severity: "error",
    message: (d) => `YAML syntax error: ${s(d.detail)}`,
  },
  TF1002: {
    name: "wrong-type",
    severity: "error",
    message: (d) => `\`${s(d.path)}\` must be ${s(d.expected)}${d.got ? `, got ${d.got}` : ""}`,
  },
  TF1003: {
    name: "unknown-key",
    severity: "error",
    message: (d) => `Unknown key \`${s(d.key)}\`${d.where ? ` in ${d.where}` : ""}`,
    hint: (d) => (d.suggestion ? `did you mean \`${d.suggestion}\`?` : undefined),
  },
  TF1004: {
    name: "missing-key",
    severity: "error",
    message: (d) => `Missing required key \`${s(d.key)}\`${d.where ? ` in ${d.where}` : ""}`,
  },
  TF1005: {
    name: "invalid-value",
    severity: "error",
    message: (d) => `Invalid value for \`${s(d.path)}\`: ${s(d.detail)}`,
  },
  TF1006: {
    name: "invalid-version",
    severity: "error",
    message: (d) => `\`version\` must be a SemVer version such as 1.4.0, got \`${s(d.value)}\``,
  },
  TF1007: {
    name: "invalid-duration",
    severity: "error",
    message: (d) => `\`${s(d.path)}\` must be a duration such as 500ms, 30s, 5m or 1h`,
  },
  TF1008: {
    name: "invalid-sla-tier",
    severity: "error",
    message: (d) => `Unknown SLA tier \`${s(d.value)}\`: use T0, T1 or T2`,
    hint: () => "T0 is the most resilient (most retries, breaker, dead letter), T2 the lightest",
  },
  TF1009: {
    name: "trust-out-of-range",
    severity: "error",
    message: (d) => `\`trust.min\` must be a number between 0 and 1, got ${s(d.value)}`,
  },
  TF1010: {
    name: "invalid-block-ref",
    severity: "error",
    message: (d) =>
      `\`${s(d.path)}\` must name a block and its major version, such as \`crm.deal.update@1\``,
  },
  TF1011: {
    name: "invalid-policy-ref",
    severity: "error",
    message: () => "A policy reference must be `name@major`, such as `t1-requires-dead-letter@1`",
  },
  TF1012: {
    name: "invalid-cron",
    severity: "error",
    message: (d) =>
      d.detail
        ? `\`${s(d.value)}\` is not a valid cron expression: ${d.detail}`
        : `\`${s(d.value)}\` is not a cron expression (five fields: min hour day month weekday)`,
    hint: () =>
      "Five fields, minute hour day-of-month month day-of-week (UTC), e.g. `0 6 * * 1-5`: 06:00 on weekdays",
  },
  TF1013: {
    name: "empty-document",
    severity: "error",
    message: () => "The document is empty: a flow needs at least `flow`, `version` and `steps`",
  },
  TF1014: {
    name: "invalid-trigger",
    severity: "error",
    message: (d) =>
      `\`trigger\` must have exactly one of manual, webhook, schedule (found ${s(d.count)})`,
  },
  TF1015: {
    name: "invalid-identifier",
    severity: "error",
    message: (d) => `\`${s(d.value)}\` is not a valid ${s(d.what)} name`,
    hint: (d) =>
      d.what === "step"
        ? "step ids start with a letter and use letters, digits, `_` and `-`"
        : "input names start with a letter or `_` and use letters, digits and `_` (CEL identifiers)",
  },
  TF1016: {
    name: "alias-expansion-limit",
    severity: "error",
    message: (d) =>
      d.cycle
        ? `Alias \`*${s(d.alias)}\` refers to a node that contains it: its expansion never ends`
        : `Alias \`*${s(d.alias)}\` would expand the document beyond ${s(d.limit)} nodes (the limit on what YAML aliases may produce)`,
    hint: () => "write the repeated values out, or share them through fewer levels of aliases",
  },
  TF1017: {
    name: "nesting-too-deep",
    severity: "error",
    message: (d) => `The document is nested more than ${s(d.limit)} levels deep`,
  },
  TF2001: {
    name: "expression-syntax",
    severity: "error",
    message: (d) => `Expression syntax error: ${s(d.detail)}`,
  },
  TF2002: {
    name: "unterminated-expression",
    severity: "error",
    message: () => "`${{` is never closed with `}}`",
  },
  TF2003: {
    name: "unknown-variable",
    severity: "error",
    message: (d) => `Unknown variable \`${s(d.name)}\` in expression`,
    hint: () =>
      "expressions read `inputs`, `steps.<id>.output`, `secrets`, `run` (and `item`, `index` in foreach)",
  },
  TF2004: {
    name: "unknown-step-ref",
    severity: "error",
    message: (d) => `Expression references unknown step \`${s(d.step)}\``,
    hint: (d) => (d.suggestion ? `did you mean \`${d.suggestion}\`?` : undefined),
  },
  TF2005: {
    name: "step-not-upstream",
    severity: "error",
    message: (d) =>
      d.step === d.from
        ? `Step \`${s(d.from)}\` reads its own output`
        : `Step \`${s(d.from)}\` reads \`${s(d.step)}\`, which runs after it (\`${s(d.step)}\` depends on \`${s(d.from)}\`)`,
  },
  TF2006: {
    name: "unknown-output-field",
    severity: "error",
    message: (d) => `\`${s(d.path)}\` is not an output of \`${s(d.block)}\``,
    hint: (d) => (d.fields ? `known fields: ${d.fields}` : undefined),
  },
  TF2007: {
    name: "type-mismatch",
    severity: "error",
    message: (d) =>
      `Type mismatch: \`${s(d.source)}\` is ${s(d.got)} but \`${s(d.target)}\` expects ${s(d.expected)}`,
    hint: (d) =>
      d.expected === "string"
        ? "wrap it in text to make a template, or convert with string()"
        : undefined,
  },
  TF2008: {
    name: "unknown-input-ref",
    severity: "error",
    message: (d) => `Expression references undeclared flow input \`${s(d.name)}\``,
  },
  TF2009: {
    name: "item-outside-foreach",
    severity: "error",
    message: (d) => `\`${s(d.name)}\` is only defined inside a \`control.foreach\` step`,
  },
  TF2010: {
    name: "not-an-output-ref",
    severity: "error",
    message: (d) => `\`steps.${s(d.step)}\` must be followed by \`.output\``,
  },
  TF2011: {
    name: "expression-too-costly",
    severity: "error",
    message: (d) => `Expression \`${s(d.source)}\` is too costly: ${s(d.detail)}`,
    hint: (d) => d.hint as string | undefined,
  },
  TF3001: {
    name: "unknown-block",
    severity: "error",
    message: (d) => s(d.detail),
    hint: (d) => d.hint as string | undefined,
  },
  TF3002: {
    name: "unknown-major",
    severity: "error",
    message: (d) => s(d.detail),
    hint: (d) => d.hint as string | undefined,
  },
  TF3003: {
    name: "block-too-old",
    severity: "error",
    message: (d) => s(d.detail),
    hint: (d) => d.hint as string | undefined,
  },
  TF3004: {
    name: "block-deprecated",
    severity: "warning",
    message: (d) => `Deprecated: ${s(d.detail)}`,
    hint: (d) => (d.newest ? `migrate to \`${d.newest}\`` : undefined),
  },
  TF3010: {
    name: "unknown-input",
    severity: "error",
    message: (d) => `\`${s(d.block)}\` has no input \`${s(d.key)}\``,
    hint: (d) => (d.suggestion ? `did you mean \`${d.suggestion}\`?` : undefined),
  },
  TF3011: {
    name: "missing-input",
    severity: "error",
    message: (d) => `\`${s(d.block)}\` requires input \`${s(d.key)}\``,
  },
  TF3012: {
    name: "invalid-input",
    severity: "error",
    message: (d) => `Input \`${s(d.path)}\` ${s(d.detail)}`,
  },
  TF3020: {
    name: "duplicate-step-id",
    severity: "error",
    message: (d) => `Duplicate step id \`${s(d.id)}\``,
  },
  TF3021: {
    name: "unknown-need",
    severity: "error",
    message: (d) => `\`needs\` names unknown step \`${s(d.id)}\``,
    hint: (d) => (d.suggestion ? `did you mean \`${d.suggestion}\`?` : undefined),
  },
  TF3022: {
    name: "cycle",
    severity: "error",
    message: (d) => `Dependency cycle: ${s(d.cycle)}`,
  },
  TF3023: {
    name: "unreachable-step",
    severity: "warning",
    message: (d) =>
      d.via
        ? `Step \`${s(d.id)}\` never runs: it needs \`${s(d.via)}\`, which never runs`
        : `Step \`${s(d.id)}\` never runs: its \`if\` is always false`,
  },
  TF3024: {
    name: "duplicate-need",
    severity: "warning",
    message: (d) => `\`${s(d.id)}\` is listed twice in \`needs\``,
  },
  TF3030: {
    name: "consent-purpose-undeclared",
    severity: "error",
    message: (d) =>
      `Consent purpose \`${s(d.purpose)}\` is not declared in the flow's \`consent.purposes\``,
  },
  TF3031: {
    name: "consent-missing",
    severity: "warning",
    message: (d) =>
      `\`${s(d.block)}\` needs consent for \`${s(d.purpose)}\`, but the step declares no \`consent\``,
    hint: (d) => `add \`consent: { purpose: ${s(d.purpose)}, id: \${{ inputs.consentId }} }\``,
  },
  TF3032: {
    name: "consent-id-unbound",
    severity: "error",
    message: (d) =>
      d.field
        ? `Step \`${s(d.id)}\` reads its consent id from \`${s(d.field)}\`, which is neither a flow input nor one of its \`with\` inputs`
        : `Step \`${s(d.id)}\` needs consent for \`${s(d.purpose)}\` but has no way to get a consent id: every run would fail closed`,
    hint: (d) =>
      d.field
        ? `declare the input: \`inputs: { ${s(d.field)}: { type: string } }\`, or set \`consent.id\` to an expression`
        : "declare an input (`inputs: { consentId: { type: string } }`) and bind it: `consent: { purpose: ..., id: ${{ inputs.consentId }} }`",
  },
  TF3040: {
    name: "step-trust-below-min",
    severity: "error",
    message: (d) =>
      d.below === "approval"
        ? `Step \`${s(d.id)}\` has trust ${s(d.score)}, below its minimum ${s(d.min)}: each run waits for an approval at its start`
        : `Step \`${s(d.id)}\` has trust ${s(d.score)}, below its minimum ${s(d.min)}: runs would halt`,
    hint: (d) =>
      d.below === "approval"
        ? undefined
        : "raise the step's trust, lower `trust.min`, or let an approver decide: `trust: { min: ..., below: approval }`",
  },
  TF3041: {
    name: "flow-trust-below-min",
    severity: "error",
    message: (d) =>
      d.below === "approval"
        ? `Flow trust ${s(d.score)} (lowest step: \`${s(d.id)}\`) is below the flow's minimum ${s(d.min)}: each run waits for an approval at its start`
        : `Flow trust ${s(d.score)} (lowest step: \`${s(d.id)}\`) is below the flow's minimum ${s(d.min)}: runs would halt`,
    hint: (d) =>
      d.below === "approval"
        ? undefined
        : "raise the lowest step's trust, lower `trust.min`, or let an approver decide: `trust: { min: ..., below: approval }`",
  },
  TF3050: {
    name: "compensate-not-write",
    severity: "warning",
    message: (d) =>
      `\`compensate\` on \`${s(d.id)}\` is never used: \`${s(d.block)}\` does not write`,
  },
  TF3051: {
    name: "model-not-agent",
    severity: "warning",
    message: (d) =>
      `\`model\` only applies to agent blocks; \`${s(d.block)}\` is a ${s(d.kind)} block`,
  },
  TF3052: {
    name: "credentials-in-url",
    severity: "error",
    message: (d) =>
      `\`${s(d.path)}\` has a user name or password inside a URL; it would be stored with the flow and sent in clear`,
    hint: () =>
      "keep credentials out of flows: a connector's credential, or a workspace secret read as `${{ secrets.NAME }}` in a header",
  },
  TF3060: {
    name: "unknown-assignee",
    severity: "error",
    message: (d) =>
      d.kind === "group"
        ? `\`${s(d.path)}\`: the workspace has no group \`${s(d.name)}\``
        : `\`${s(d.path)}\`: \`${s(d.name)}\` is not a member of the workspace`,
    hint: (d) =>
      d.suggestion
        ? `did you mean \`${d.suggestion}\`?`
        : d.kind === "group"
          ? "create the group in Settings, or address a role: `role: approver`"
          : undefined,
  },
  TF4001: {
    name: "policy-violation",
    severity: "error",
    message: (d) => s(d.detail),
  },
  TF4002: {
    name: "unknown-policy",
    severity: "error",
    message: (d) => `Unknown policy \`${s(d.name)}\``,
    hint: (d) => (d.suggestion ? `did you mean \`${d.suggestion}\`?` : undefined),
  },
  TF4003: {
    name: "policy-error",
    severity: "warning",
    message: (d) => `Policy \`${s(d.policy)}\` could not be evaluated: ${s(d.detail)}`,
  },
} satisfies Record<string, CatalogueEntry>;

/** A stable diagnostic code. */
export type DiagnosticCode = keyof typeof diagnosticCatalogue;

/** Every code of the catalogue, sorted. */
export const diagnosticCodes = Object.keys(diagnosticCatalogue).sort() as DiagnosticCode[];

/**
 * Builds a diagnostic from the catalogue.
 *
 * @example
 * diag("TF3020", { start: 10, end: 14 }, { id: "send" }, { stepId: "send" });
 */
export function diag(
  code: DiagnosticCode,
  span: Span,
  data: DiagnosticData = {},
  extra: { severity?: Diagnostic["severity"]; stepId?: string; policy?: string } = {},
): Diagnostic {
  const entry: CatalogueEntry = diagnosticCatalogue[code];
  const d: Diagnostic = {
    code,
    severity: extra.severity ?? entry.severity,
    message: entry.message(data),
    span: { start: span.start, end: span.end },
  };
  const hint = entry.hint?.(data);
  if (hint) d.hint = hint;
  if (extra.stepId !== undefined) d.stepId = extra.stepId;
  if (extra.policy !== undefined) d.policy = extra.policy;
  return d;
}
