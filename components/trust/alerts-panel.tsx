"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { hasRole } from "@/lib/enums";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { SelectField, TextField } from "@/components/ui/field";
import { HeadRow, Table, Td } from "@/components/ui/table";

const KINDS = [
  { value: "error_rate", label: "Error rate at or above", unit: "share, 0–1" },
  { value: "p95", label: "p95 latency at or above", unit: "milliseconds" },
  { value: "trust_floor", label: "Trust below", unit: "score, 0–1" },
  { value: "anomaly", label: "Anomaly detected", unit: "minimum |z|, 0 for every one" },
  { value: "prediction", label: "Failure risk at or above", unit: "risk, 0–1" },
] as const;
type Kind = (typeof KINDS)[number]["value"];

/**
 * Alerts: the rules (admins add, pause and delete them; a rule's webhook secret is shown once)
 * and the alerts they fired, which editors and admins acknowledge.
 */
export function AlertsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const role = useCurrentWorkspace().data?.role;
  const rules = useQuery(trpc.alert.rules.queryOptions());
  const events = useQuery({
    ...trpc.alert.events.queryOptions({ limit: 30 }),
    refetchInterval: 30_000,
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.alert.rules.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.alert.events.queryKey() });
  };
  const ack = useMutation(trpc.alert.acknowledge.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.alert.updateRule.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.alert.deleteRule.mutationOptions({ onSuccess: refresh }));
  const admin = hasRole(role, "admin");
  const failed = ack.error ?? update.error ?? remove.error;
  return (
    <section aria-labelledby="alerts-title" className="space-y-3">
      <h2 id="alerts-title" className="text-sm font-semibold text-zinc-900">
        Alerts
      </h2>
      {(rules.error ?? events.error) && (
        <Alert tone="error">
          {errorMessage(rules.error ?? events.error) ?? "The alerts could not be read."}
        </Alert>
      )}
      {failed && <Alert tone="error">{errorMessage(failed) ?? "That did not work."}</Alert>}
      {events.data &&
        (events.data.items.length === 0 ? (
          <p className="text-sm text-zinc-600">No alert has fired.</p>
        ) : (
          <Table label="Fired alerts">
            <HeadRow columns={["Fired (UTC)", "Alert", "Acknowledged"]} />
            <tbody>
              {events.data.items.map((e) => (
                <tr key={e.id} data-testid="alert-row">
                  <Td>{e.firedAt.slice(0, 16).replace("T", " ")}</Td>
                  <Td>
                    <span className="font-medium">{e.title}</span>
                    <span className="block text-xs text-zinc-600">{e.body}</span>
                  </Td>
                  <Td>
                    {e.ackBy ? `${e.ackBy}, ${e.ackAt!.slice(0, 16).replace("T", " ")}` : "—"}
                  </Td>
                  <Td>
                    {!e.ackBy && hasRole(role, "editor") && (
                      <Button
                        size="sm"
                        pending={ack.isPending && ack.variables?.id === e.id}
                        onClick={() => ack.mutate({ id: e.id })}
                      >
                        Acknowledge
                      </Button>
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        ))}
      <h3 className="text-xs font-semibold uppercase tracking-wide text-zinc-600">Rules</h3>
      {rules.data &&
        (rules.data.length === 0 ? (
          <EmptyState title="No alert rule yet">
            {admin
              ? "Add one below: alerts reach every member in the app and, if you give a URL, a signed webhook."
              : "An admin adds alert rules."}
          </EmptyState>
        ) : (
          <Table label="Alert rules">
            <HeadRow
              columns={["Name", "When", "Cooldown", "Delivered", "State"]}
              last={admin ? "Actions" : null}
            />
            <tbody>
              {rules.data.map((r) => (
                <tr key={r.id}>
                  <Td className="font-medium">{r.name}</Td>
                  <Td>
                    {KINDS.find((k) => k.value === r.kind)?.label} {r.threshold}
                    {r.entityKey ? ` (${r.entityKind} ${r.entityKey})` : ""}
                  </Td>
                  <Td>{r.cooldownMinutes} min</Td>
                  <Td>
                    {[r.inApp ? "in app" : null, r.webhookUrl].filter(Boolean).join(", ") || "—"}
                  </Td>
                  <Td>
                    <Badge tone={r.enabled ? "success" : "neutral"}>
                      {r.enabled ? "On" : "Paused"}
                    </Badge>
                  </Td>
                  {admin && (
                    <Td>
                      <span className="flex gap-1">
                        <Button
                          size="sm"
                          onClick={() => update.mutate({ id: r.id, enabled: !r.enabled })}
                        >
                          {r.enabled ? "Pause" : "Resume"}
                        </Button>
                        <Button
                          size="sm"
                          variant="danger"
                          aria-label={`Delete rule ${r.name}`}
                          onClick={() => {
                            if (window.confirm(`Delete the rule “${r.name}” and its alerts?`))
                              remove.mutate({ id: r.id });
                          }}
                        >
                          Delete
                        </Button>
                      </span>
                    </Td>
                  )}
                </tr>
              ))}
            </tbody>
          </Table>
        ))}
      {admin && <NewRuleForm onCreated={refresh} />}
    </section>
  );
}

function NewRuleForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [kind, setKind] = useState<Kind>("error_rate");
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation(
    trpc.alert.createRule.mutationOptions({
      onSuccess: (r) => {
        setSecret(r.secret);
        onCreated();
      },
    }),
  );
  const form = formErrors(create.error);
  const errors = form.fields;
  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    create.mutate({
      name: text("name"),
      kind,
      threshold: Number(text("threshold") || "0"),
      cooldownMinutes: Number(text("cooldown") || "60"),
      inApp: f.get("inApp") === "on",
      ...(text("entityKey")
        ? { entityKind: text("entityKind") as "flow", entityKey: text("entityKey") }
        : {}),
      ...(text("webhookUrl") ? { webhookUrl: text("webhookUrl") } : {}),
    });
  };
  const unit = KINDS.find((k) => k.value === kind)!.unit;
  return (
    <form
      onSubmit={submit}
      className="space-y-3 rounded-lg border border-zinc-200 p-4"
      aria-label="New alert rule"
    >
      <div className="grid gap-3 sm:grid-cols-3">
        <TextField label="Name" name="name" required maxLength={120} errors={errors.name} />
        <SelectField
          label="When"
          name="kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as Kind)}
        >
          {KINDS.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Threshold"
          name="threshold"
          inputMode="decimal"
          hint={unit}
          errors={errors.threshold}
          required
        />
        <SelectField label="Entity kind (optional)" name="entityKind" defaultValue="flow">
          <option value="flow">Flow</option>
          <option value="block">Block version</option>
          <option value="endpoint">Connector endpoint</option>
          <option value="model">Model</option>
        </SelectField>
        <TextField
          label="Entity key (optional)"
          name="entityKey"
          hint="Empty: every entity of that kind."
          errors={errors.entityKey ?? errors.entityKind}
        />
        <TextField
          label="Cooldown (minutes)"
          name="cooldown"
          inputMode="numeric"
          defaultValue="60"
          errors={errors.cooldownMinutes}
        />
        <TextField
          label="Webhook URL (optional)"
          name="webhookUrl"
          type="url"
          hint="Signed with a secret of its own, sent through the egress rules."
          errors={errors.webhookUrl}
        />
      </div>
      <label className="flex items-center gap-2 text-sm text-zinc-700">
        <input type="checkbox" name="inApp" defaultChecked /> Notify every member in the app
      </label>
      {form.message && <Alert tone="error">{form.message}</Alert>}
      {secret && (
        <Alert tone="success">
          The rule&apos;s webhook secret, shown once: <code className="break-all">{secret}</code>
        </Alert>
      )}
      <Button type="submit" variant="primary" pending={create.isPending}>
        Add rule
      </Button>
    </form>
  );
}
