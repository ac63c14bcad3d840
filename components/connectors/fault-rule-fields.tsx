"use client";

import { useState } from "react";
import { FAULT_STATUSES, MOCK_OPERATIONS, type FaultRule } from "@/lib/connectors/mock-faults";
import { SelectField, TextField } from "@/components/ui/field";

/**
 * What the connector page's fault form (`fault-panel.tsx`) and a sandbox session's fault profile
 * (`components/sandbox/fault-profile-editor.tsx`) share: a rate in percent, the parsing of a
 * rule's number fields, and the operation, status and rate fields.
 */

/** The number fields of a rule the forms take as text. */
export type FaultNumber = Exclude<keyof FaultRule, "operation" | "status">;

/** A rate as a percentage, or "—" when unset. */
export function percent(rate: number | undefined): string {
  return rate ? `${Math.round(rate * 1000) / 10}%` : "—";
}

/** Parses a form number; blank is "not set". */
function numberOr(text: string): number | undefined {
  const t = text.trim();
  return t === "" ? undefined : Number(t);
}

/**
 * A rule from the form's texts (blank fields unset), or the problem in words: a field not a
 * number, a rate outside 0..1, a latency over `maxLatencyMs` (when given), or no field set
 * (`missing`). `status` applies only with an error rate.
 */
export function parseFaultRule({
  operation,
  fields,
  status,
  maxLatencyMs,
  missing,
}: {
  operation: string;
  fields: Partial<Record<FaultNumber, string>>;
  status: string;
  maxLatencyMs?: number;
  missing: string;
}): FaultRule | string {
  const rule: FaultRule = { operation };
  for (const [k, text] of Object.entries(fields)) {
    const n = numberOr(text);
    if (n === undefined) continue;
    if (!Number.isFinite(n)) return `${k} must be a number.`;
    (rule as unknown as Record<string, number>)[k] = n;
  }
  for (const k of ["errorRate", "timeoutRate", "malformedRate"] as const) {
    const v = rule[k];
    if (v !== undefined && (v < 0 || v > 1)) return "Give rates between 0 and 1 (0.3 = 30%).";
  }
  if (
    maxLatencyMs !== undefined &&
    rule.latencyMs !== undefined &&
    (rule.latencyMs < 0 || rule.latencyMs > maxLatencyMs)
  )
    return `Give a latency between 0 and ${maxLatencyMs} ms.`;
  if (rule.errorRate) rule.status = Number(status);
  if (Object.keys(rule).length === 1) return missing;
  return rule;
}

/**
 * A fault rule form's state: the operation (`*` at first), the error status (503 at first), the
 * texts of the number fields `keys` (checked in that order), the problem shown, and `parse`,
 * which returns the rule or shows the problem and returns null.
 */
export function useFaultRuleDraft(
  keys: readonly FaultNumber[],
  opts: { maxLatencyMs?: number; missing: string },
) {
  const [operation, setOperation] = useState("*");
  const [status, setStatus] = useState("503");
  const [texts, setTexts] = useState<Partial<Record<FaultNumber, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const text = (k: FaultNumber) => texts[k] ?? "";
  const setText = (k: FaultNumber) => (v: string) => setTexts((t) => ({ ...t, [k]: v }));
  function parse(): FaultRule | null {
    const rule = parseFaultRule({
      operation,
      fields: Object.fromEntries(keys.map((k) => [k, text(k)])),
      status,
      ...opts,
    });
    if (typeof rule === "string") {
      setError(rule);
      return null;
    }
    setError(null);
    return rule;
  }
  return { operation, setOperation, status, setStatus, text, setText, error, parse };
}

/** The "Operation" select: `*` or one of the mock system's operations. */
export function OperationField({
  system,
  value,
  onChange,
}: {
  system: string;
  value: string;
  onChange: (operation: string) => void;
}) {
  return (
    <SelectField label="Operation" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="*">* (every operation)</option>
      {(MOCK_OPERATIONS[system] ?? []).map((op) => (
        <option key={op} value={op}>
          {op}
        </option>
      ))}
    </SelectField>
  );
}

/** The "Error status" select. */
export function StatusField({
  value,
  onChange,
}: {
  value: string;
  onChange: (status: string) => void;
}) {
  return (
    <SelectField label="Error status" value={value} onChange={(e) => onChange(e.target.value)}>
      {FAULT_STATUSES.map((s) => (
        <option key={s} value={s}>
          {s}
        </option>
      ))}
    </SelectField>
  );
}

/** The number fields' labels and input hints. */
const NUMBER_FIELDS: Record<
  FaultNumber,
  { label: string; inputMode: "decimal" | "numeric"; placeholder?: string }
> = {
  latencyMs: { label: "Latency (ms)", inputMode: "numeric", placeholder: "0" },
  errorRate: { label: "Error rate", inputMode: "decimal", placeholder: "0 to 1" },
  retryAfterS: { label: "Retry-After (s)", inputMode: "numeric", placeholder: "1" },
  timeoutRate: { label: "Timeout rate", inputMode: "decimal", placeholder: "0 to 1" },
  malformedRate: { label: "Malformed rate", inputMode: "decimal", placeholder: "0 to 1" },
  seed: { label: "Seed (optional)", inputMode: "numeric" },
};

/** One number field of a {@link useFaultRuleDraft} form. */
export function RuleNumberField({
  draft,
  field,
}: {
  draft: ReturnType<typeof useFaultRuleDraft>;
  field: FaultNumber;
}) {
  return (
    <TextField
      {...NUMBER_FIELDS[field]}
      value={draft.text(field)}
      onChange={(e) => draft.setText(field)(e.target.value)}
    />
  );
}
