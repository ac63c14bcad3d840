"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { TriggersPanel } from "./triggers-panel";

/**
 * One workflow outside the studio: what starts it (the Triggers panel: webhook, schedule) and
 * its saved versions, with the way to the studio and to its runs.
 */
export function WorkflowDetail({ workflowId }: { workflowId: string }) {
  const trpc = useTRPC();
  const wf = useQuery(trpc.workflow.get.queryOptions({ id: workflowId }));

  if (wf.isPending)
    return <p className="py-8 text-center text-sm text-zinc-500">Loading workflow…</p>;
  if (wf.error) {
    return (
      <div className="space-y-3">
        <Alert tone="error">{errorMessage(wf.error)}</Alert>
        <Link href="/workflows" className="text-sm text-accent-700 hover:underline">
          Back to workflows
        </Link>
      </div>
    );
  }
  const data = wf.data;
  const latest = data.versions[0];
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-xs text-zinc-500">
        <Link href="/workflows" className="hover:text-zinc-900">
          Workflows
        </Link>{" "}
        / <span className="text-zinc-700">{data.name}</span>
      </nav>
      <PageHeader
        title={data.name}
        description={data.description || undefined}
        actions={
          data.deletedAt ? (
            <Badge tone="danger">Deleted</Badge>
          ) : (
            <>
              <Link href={`/runs?workflow=${data.id}`} className={buttonClass("secondary", "sm")}>
                Runs
              </Link>
              <Link href={`/studio/${data.id}`} className={buttonClass("primary", "sm")}>
                Open in studio
              </Link>
            </>
          )
        }
      />
      <p className="mb-4 text-sm text-zinc-600">
        {latest ? (
          <>
            Published as <span className="font-mono">v{latest.version}</span> on{" "}
            {formatDateTime(latest.createdAt)}.
          </>
        ) : (
          "A draft: no version saved yet."
        )}
      </p>

      {!data.deletedAt && (
        <div className="mb-6">
          <TriggersPanel workflowId={data.id} />
        </div>
      )}

      <section aria-labelledby="versions-heading" className="mb-6">
        <h2 id="versions-heading" className="mb-2 text-sm font-semibold">
          Versions
        </h2>
        {data.versions.length === 0 ? (
          <p className="text-sm text-zinc-600">
            No version saved yet: triggers run the draft. Save a version in the studio.
          </p>
        ) : (
          <Table label="Versions">
            <thead>
              <tr>
                <Th>Version</Th>
                <Th>Saved</Th>
                <Th>Message</Th>
                <Th>IR hash</Th>
              </tr>
            </thead>
            <tbody>
              {data.versions.map((v) => (
                <tr key={v.id}>
                  <Td className="font-mono text-xs">{v.version}</Td>
                  <Td className="text-zinc-600">{formatDateTime(v.createdAt)}</Td>
                  <Td className="text-zinc-600">{v.message || "—"}</Td>
                  <Td className="font-mono text-xs text-zinc-500">
                    {v.irHash ? v.irHash.slice(0, 12) : "—"}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>
    </>
  );
}
