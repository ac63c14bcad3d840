"use client";

import type { FormEvent } from "react";
import { useMockFaults, type FaultRule } from "@/lib/connectors/mock-faults";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { HeadRow, Table, Td } from "@/components/ui/table";
import {
  OperationField,
  RuleNumberField,
  useFaultRuleDraft,
  percent,
  StatusField,
} from "./fault-rule-fields";

/**
 * Fault injection for a connector that points at this app's mock service: added latency, error
 * answers, timeouts and malformed bodies per operation (or `*`), the rules in force, and the
 * requests the mock has served. Viewers see the rules and counts; admins change them.
 */
export function FaultPanel({
  name,
  system,
  path,
  canEdit,
}: {
  name: string;
  system: string;
  path: string;
  canEdit: boolean;
}) {
  const mock = useMockFaults(path);
  const faults = mock.faults.data?.faults ?? [];
  const stats = mock.stats.data;
  const actionError =
    mock.setFault.error ?? mock.clearFaults.error ?? mock.reset.error ?? mock.faults.error;

  return (
    <section
      aria-labelledby="fault-panel-title"
      className="space-y-4 rounded-lg border border-zinc-200 bg-white p-4"
    >
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 id="fault-panel-title" className="text-sm font-semibold">
            Fault injection: {name}
          </h2>
          <p className="text-xs text-zinc-600">
            The mock {system} service at <code className="font-mono">{path}</code>. Faults apply to
            every later call, runs included; decisions come from a seeded generator, so the same
            seed gives the same sequence.
          </p>
        </div>
        <Button size="sm" variant="ghost" onClick={() => void mock.refresh()}>
          Refresh
        </Button>
      </div>

      {actionError && <Alert tone="error">{errorMessage(actionError)}</Alert>}

      {canEdit && (
        <FaultForm
          system={system}
          pending={mock.setFault.isPending}
          onSubmit={(rule) => mock.setFault.mutate(rule)}
        />
      )}

      <div className="space-y-2">
        <div className="flex items-center justify-between">
          <h3 className="text-xs font-semibold text-zinc-700">
            Faults in force{mock.faults.data ? ` (seed ${mock.faults.data.seed})` : ""}
          </h3>
          {canEdit && faults.length > 0 && (
            <Button
              size="sm"
              variant="danger"
              pending={mock.clearFaults.isPending}
              onClick={() => mock.clearFaults.mutate(undefined)}
            >
              Clear all faults
            </Button>
          )}
        </div>
        {mock.faults.isPending ? (
          <p className="text-sm text-zinc-500">Loading faults…</p>
        ) : faults.length === 0 ? (
          <p className="text-sm text-zinc-600" data-testid="no-faults">
            No faults: the mock answers normally.
          </p>
        ) : (
          <Table label="Faults">
            <HeadRow
              columns={["Operation", "Latency", "Errors", "Timeouts", "Malformed"]}
              last={canEdit ? "Actions" : null}
            />
            <tbody>
              {faults.map((f) => (
                <tr key={f.operation}>
                  <Td className="font-mono text-xs">{f.operation}</Td>
                  <Td>{f.latencyMs ? `${f.latencyMs} ms` : "—"}</Td>
                  <Td>
                    {f.errorRate
                      ? `${percent(f.errorRate)} → ${f.status ?? 503}${
                          (f.status ?? 503) === 429 || (f.status ?? 503) === 503
                            ? ` (Retry-After ${f.retryAfterS ?? 1} s)`
                            : ""
                        }`
                      : "—"}
                  </Td>
                  <Td>{percent(f.timeoutRate)}</Td>
                  <Td>{percent(f.malformedRate)}</Td>
                  {canEdit && (
                    <Td className="text-right">
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={`Clear fault ${f.operation}`}
                        onClick={() => mock.clearFaults.mutate(f.operation)}
                      >
                        Clear
                      </Button>
                    </Td>
                  )}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </div>

      <div className="space-y-2">
        <div className="flex items-center justify-between">
          <h3 className="text-xs font-semibold text-zinc-700">Requests served</h3>
          {canEdit && (
            <Button
              size="sm"
              variant="ghost"
              pending={mock.reset.isPending}
              onClick={() => {
                if (window.confirm(`Reset the mock ${system} data of this workspace?`))
                  mock.reset.mutate();
              }}
            >
              Reset mock data
            </Button>
          )}
        </div>
        {!stats ? (
          <p className="text-sm text-zinc-500">Loading counts…</p>
        ) : (
          <div data-testid="mock-stats" className="space-y-1 text-sm">
            <p className="text-zinc-600">
              {stats.writes} write{stats.writes === 1 ? "" : "s"}, {stats.replays} idempotent replay
              {stats.replays === 1 ? "" : "s"}
            </p>
            {Object.keys(stats.requests).length === 0 ? (
              <p className="text-zinc-600">No requests yet.</p>
            ) : (
              <ul aria-label="Requests by operation" className="flex flex-wrap gap-1.5">
                {Object.entries(stats.requests).map(([op, n]) => (
                  <li
                    key={op}
                    className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700"
                  >
                    {op}: {n}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

function FaultForm({
  system,
  pending,
  onSubmit,
}: {
  system: string;
  pending: boolean;
  onSubmit: (rule: FaultRule) => void;
}) {
  const draft = useFaultRuleDraft(
    ["latencyMs", "errorRate", "retryAfterS", "timeoutRate", "malformedRate", "seed"],
    { missing: "Set at least one of latency, error, timeout or malformed rate." },
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    const rule = draft.parse();
    if (rule) onSubmit(rule);
  }

  return (
    <form
      onSubmit={submit}
      aria-label="Inject a fault"
      className="grid grid-cols-2 gap-3 rounded-md border border-zinc-200 bg-zinc-50 p-3 sm:grid-cols-4"
      noValidate
    >
      <OperationField system={system} value={draft.operation} onChange={draft.setOperation} />
      <RuleNumberField draft={draft} field="latencyMs" />
      <RuleNumberField draft={draft} field="errorRate" />
      <StatusField value={draft.status} onChange={draft.setStatus} />
      <RuleNumberField draft={draft} field="retryAfterS" />
      <RuleNumberField draft={draft} field="timeoutRate" />
      <RuleNumberField draft={draft} field="malformedRate" />
      <RuleNumberField draft={draft} field="seed" />
      {draft.error && (
        <Alert tone="error" className="col-span-full">
          {draft.error}
        </Alert>
      )}
      <div className="col-span-full flex justify-end">
        <Button type="submit" variant="primary" size="sm" pending={pending}>
          Inject fault
        </Button>
      </div>
    </form>
  );
}
