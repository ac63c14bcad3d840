"use client";

import { useState, type FormEvent } from "react";
import type { FaultRule } from "@/lib/connectors/mock-faults";
import {
  OperationField,
  RuleNumberField,
  useFaultRuleDraft,
  percent,
  StatusField,
} from "@/components/connectors/fault-rule-fields";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { HeadRow, Table, Td } from "@/components/ui/table";

/** A session's fault profile: per mock system, the rules the mocks' `_faults` API takes. */
export type FaultProfile = Partial<Record<"crm" | "billing" | "clm", FaultRule[]>>;

const SYSTEMS = ["crm", "billing", "clm"] as const;
const SYSTEM_LABEL = { crm: "CRM", billing: "Billing", clm: "CLM" } as const;

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
          <HeadRow columns={["System", "Operation", "Effect"]} last={canEdit ? "Actions" : null} />
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

function RuleForm({
  onAdd,
}: {
  onAdd: (system: (typeof SYSTEMS)[number], rule: FaultRule) => void;
}) {
  const [system, setSystem] = useState<(typeof SYSTEMS)[number]>("crm");
  const draft = useFaultRuleDraft(["errorRate", "latencyMs", "timeoutRate", "malformedRate"], {
    maxLatencyMs: 120_000,
    missing: "Set at least one of error rate, latency, timeout or malformed rate.",
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    const rule = draft.parse();
    if (rule) onAdd(system, rule);
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
          draft.setOperation("*");
        }}
      >
        {SYSTEMS.map((s) => (
          <option key={s} value={s}>
            {SYSTEM_LABEL[s]}
          </option>
        ))}
      </SelectField>
      <OperationField system={system} value={draft.operation} onChange={draft.setOperation} />
      <RuleNumberField draft={draft} field="errorRate" />
      <StatusField value={draft.status} onChange={draft.setStatus} />
      <RuleNumberField draft={draft} field="latencyMs" />
      <RuleNumberField draft={draft} field="timeoutRate" />
      <RuleNumberField draft={draft} field="malformedRate" />
      <div className="flex items-end justify-end">
        <Button type="submit" size="sm">
          Add rule
        </Button>
      </div>
      {draft.error && (
        <Alert tone="error" className="col-span-full">
          {draft.error}
        </Alert>
      )}
    </form>
  );
}
