"use client";

import { useQuery } from "@tanstack/react-query";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Table, Td, Th } from "@/components/ui/table";

/** The workspace's evaluation suites; `current` is marked selected, a name selects its suite. */
export function EvalSuiteList({
  current,
  onSelect,
}: {
  current: string | null;
  onSelect: (id: string) => void;
}) {
  const trpc = useTRPC();
  const suites = useQuery(trpc.evalSuite.list.queryOptions({}));
  return (
    <section aria-labelledby="suites-heading" className="space-y-2">
      <h2 id="suites-heading" className="text-sm font-semibold">
        Evaluation suites
      </h2>
      {suites.isPending ? (
        <p className="text-sm text-zinc-500">Loading suites…</p>
      ) : suites.error ? (
        <Alert tone="error">{errorMessage(suites.error)}</Alert>
      ) : suites.data.length === 0 ? (
        <p className="text-sm text-zinc-600">
          No suites yet. A suite runs every row of a dataset version against an agent block or a
          flow in a sandbox session, several times, and checks each output.
        </p>
      ) : (
        <Table label="Evaluation suites">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Target</Th>
              <Th>Repetitions</Th>
              <Th>Dataset hash</Th>
              <Th>Created</Th>
            </tr>
          </thead>
          <tbody>
            {suites.data.map((s) => (
              <tr key={s.id} aria-selected={s.id === current}>
                <Td>
                  <button
                    type="button"
                    className="text-accent-700 underline-offset-2 hover:underline"
                    onClick={() => onSelect(s.id)}
                  >
                    {s.name}
                  </button>
                </Td>
                <Td>{s.target.kind === "block" ? s.target.block : "flow"}</Td>
                <Td>{s.repetitions}</Td>
                <Td>
                  <code title={s.datasetHash}>{s.datasetHash.slice(0, 12)}</code>
                </Td>
                <Td>{formatDateTime(s.createdAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
