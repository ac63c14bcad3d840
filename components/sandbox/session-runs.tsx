"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { RunStatusBadge } from "@/components/runs/run-status";
import { HeadRow, Table, Td } from "@/components/ui/table";
import { QueryList } from "./sandbox-list";

/** The runs started in a session, newest first, refreshed every 5 seconds. */
export function SessionRuns({ sessionId }: { sessionId: string }) {
  const trpc = useTRPC();
  const runs = useQuery({
    ...trpc.sandbox.runs.queryOptions({ id: sessionId }),
    refetchInterval: 5000,
  });
  return (
    <section aria-labelledby="session-runs-heading" className="space-y-2">
      <h3 id="session-runs-heading" className="text-sm font-semibold">
        Runs in this session
      </h3>
      <QueryList
        query={runs}
        loading="Loading runs…"
        empty="No runs yet: use “Run in sandbox” in the studio to run a draft here."
      >
        {(items) => (
          <Table label="Session runs">
            <HeadRow columns={["Flow", "Version", "Status", "Started"]} last="Open" />
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <Td>{r.workflowName ?? "—"}</Td>
                  <Td className="font-mono text-xs">{r.draft ? "draft" : r.version}</Td>
                  <Td>
                    <RunStatusBadge status={r.status} />
                  </Td>
                  <Td className="text-zinc-600">{formatDateTime(r.createdAt)}</Td>
                  <Td className="text-right">
                    <Link
                      href={`/runs/${r.id}`}
                      className="text-xs text-accent-700 hover:underline"
                    >
                      View run
                    </Link>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </QueryList>
    </section>
  );
}
