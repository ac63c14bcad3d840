"use client";

import { useState, type FormEvent } from "react";
import { FAULT_STATUSES, MOCK_OPERATIONS, type FaultRule } from "@/lib/connectors/mock-faults";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";

/** A session's fault profile: per mock system, the rules the mocks' `_faults` API takes. */
export type FaultProfile = Partial<Record<"crm" | "billing" | "clm", FaultRule[]>>;

const SYSTEMS = ["crm", "billing", "clm"] as const;
const SYSTEM_LABEL = { crm: "CRM", billing: "Billing", clm: "CLM" } as const;

function percent(rate: number | undefined): string {
  return rate ? `${Math.round(rate * 1000) / 10}%` : "—";
}

/** One rule in words: "errors 100% → 503, latency 200 ms". */
export function describeRule(r: FaultRule): string {
  const parts: string[] = [];
  if (r.errorRate) parts.push(`errors ${percent(r.errorRate)} → ${r.status ?? 503}`);
  if (r.timeoutRate) parts.push(`timeouts ${percent(r.timeoutRate)}`);
  if (r.malformedRate) parts.push(`malformed ${percent(r.malformedRate)}`);
  if (r.latencyMs) parts.push(`latency ${r.latencyMs} ms`);
  return parts.join(", ") || "no effect";
}

/**
 * Edits a session's fault profile: the rules in force per system, a form to add (or replace,
 * by operation) a rule, and "Save faults", which replaces the session's profile. The mocks apply
 * it to the session's next call.
 */
export function FaultProfileEditor({
  profile,
  canEdit,
  pending,
  onSave,
}: {
  profile: FaultProfile;
  canEdit: boolean;
  pending: boolean;
  onSave: (profile: FaultProfile) => void;
}) {
  const [draft, setDraft] = useState<FaultProfile>(profile);
  const [base, setBase] = useState(profile);
  // A new profile from the server (after a save, or another tab's) replaces the draft.
  if (base !== profile) {
    setBase(profile);
    setDraft(profile);
  }
  const dirty = JSON.stringify(draft) !== JSON.stringify(profile);
  const rules = SYSTEMS.flatMap((system) =>
    (draft[system] ?? []).map((rule) => ({ system, rule })),
  );

  const removeRule = (system: (typeof SYSTEMS)[number], operation: string) =>
    setDraft((d) => ({
      ...d,
      [system]: (d[system] ?? []).filter((r) => r.operation !== operation),
    }));
  const addRule = (system: (typeof SYSTEMS)[number], rule: FaultRule) =>
    setDraft((d) => ({
      ...d,
      [system]: [...(d[system] ?? []).filter((r) => r.operation !== rule.operation), rule],
    }));

  return (
    <section aria-labelledby="fault-profile-heading" className="space-y-3">
      <div className="flex items-center justify-between">
        <div>
          <h3 id="fault-profile-heading" className="text-sm font-semibold">
            Fault profile
          </h3>
          <p className="text-xs text-zinc-600">
            Latency, errors, timeouts and malformed answers the session&apos;s mock systems inject,
            per operation (or <code className="font-mono">*</code>), from a seeded generator.
          </p>
        </div>
        {canEdit && (
          <Button
            size="sm"
            variant="primary"
            disabled={!dirty}
            pending={pending}
            onClick={() => onSave(draft)}
          >
            Save faults
          </Button>
        )}
      </div>
      {rules.length === 0 ? (
        <p className="text-sm text-zinc-600" data-testid="no-session-faults">
          No faults: the mocks answer normally.
        </p>
      ) : (
        <Table label="Fault rules">
          <thead>
            <tr>
              <Th>System</Th>
              <Th>Operation</Th>
              <Th>Effect</Th>
              {canEdit && (
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              )}
            </tr>
          </thead>
          <tbody>
            {rules.map(({ system, rule }) => (
              <tr key={`${system}:${rule.operation}`}>
                <Td>{SYSTEM_LABEL[system]}</Td>
                <Td className="font-mono text-xs">{rule.operation}</Td>
                <Td className="text-zinc-700">{describeRule(rule)}</Td>
                {canEdit && (
                  <Td className="text-right">
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Remove fault ${system} ${rule.operation}`}
                      onClick={() => removeRule(system, rule.operation)}
                    >
                      Remove
                    </Button>
                  </Td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {dirty && canEdit && (
        <p className="text-xs text-amber-800">Unsaved: “Save faults” applies these rules.</p>
      )}
      {canEdit && <RuleForm onAdd={addRule} />}
    </section>
  );
}

/** Parses a form number; blank is "not set". */
function numberOr(text: string): number | undefined {
  const t = text.trim();
  return t === "" ? undefined : Number(t);
}

function RuleForm({
  onAdd,
}: {
  onAdd: (system: (typeof SYSTEMS)[number], rule: FaultRule) => void;
}) {
  const [system, setSystem] = useState<(typeof SYSTEMS)[number]>("crm");
  const [operation, setOperation] = useState("*");
  const [errorRate, setErrorRate] = useState("");
  const [status, setStatus] = useState("503");
  const [latencyMs, setLatencyMs] = useState("");
  const [timeoutRate, setTimeoutRate] = useState("");
  const [malformedRate, setMalformedRate] = useState("");
  const [error, setError] = useState<string | null>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    const rule: FaultRule = { operation };
    const fields = { errorRate, latencyMs, timeoutRate, malformedRate };
    for (const [k, text] of Object.entries(fields)) {
      const n = numberOr(text);
      if (n === undefined) continue;
      if (!Number.isFinite(n)) return setError(`${k} must be a number.`);
      (rule as unknown as Record<string, number>)[k] = n;
    }
    for (const k of ["errorRate", "timeoutRate", "malformedRate"] as const) {
      const v = rule[k];
      if (v !== undefined && (v < 0 || v > 1))
        return setError("Give rates between 0 and 1 (0.3 = 30%).");
    }
    if (rule.latencyMs !== undefined && (rule.latencyMs < 0 || rule.latencyMs > 120_000))
      return setError("Give a latency between 0 and 120000 ms.");
    if (rule.errorRate) rule.status = Number(status);
    if (Object.keys(rule).length === 1)
      return setError("Set at least one of error rate, latency, timeout or malformed rate.");
    setError(null);
    onAdd(system, rule);
  }

  return (
    <form
      onSubmit={submit}
      aria-label="Add a fault rule"
      className="grid grid-cols-2 gap-3 rounded-md border border-zinc-200 bg-zinc-50 p-3 sm:grid-cols-4"
      noValidate
    >
      <SelectField
        label="System"
        value={system}
        onChange={(e) => {
          setSystem(e.target.value as (typeof SYSTEMS)[number]);
          setOperation("*");
        }}
      >
        {SYSTEMS.map((s) => (
          <option key={s} value={s}>
            {SYSTEM_LABEL[s]}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Operation"
        value={operation}
        onChange={(e) => setOperation(e.target.value)}
      >
        <option value="*">* (every operation)</option>
        {(MOCK_OPERATIONS[system] ?? []).map((op) => (
          <option key={op} value={op}>
            {op}
          </option>
        ))}
      </SelectField>
      <TextField
        label="Error rate"
        inputMode="decimal"
        placeholder="0 to 1"
        value={errorRate}
        onChange={(e) => setErrorRate(e.target.value)}
      />
      <SelectField label="Error status" value={status} onChange={(e) => setStatus(e.target.value)}>
        {FAULT_STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </SelectField>
      <TextField
        label="Latency (ms)"
        inputMode="numeric"
        placeholder="0"
        value={latencyMs}
        onChange={(e) => setLatencyMs(e.target.value)}
      />
      <TextField
        label="Timeout rate"
        inputMode="decimal"
        placeholder="0 to 1"
        value={timeoutRate}
        onChange={(e) => setTimeoutRate(e.target.value)}
      />
      <TextField
        label="Malformed rate"
        inputMode="decimal"
        placeholder="0 to 1"
        value={malformedRate}
        onChange={(e) => setMalformedRate(e.target.value)}
      />
      <div className="flex items-end justify-end">
        <Button type="submit" size="sm">
          Add rule
        </Button>
      </div>
      {error && (
        <Alert tone="error" className="col-span-full">
          {error}
        </Alert>
      )}
    </form>
  );
}
