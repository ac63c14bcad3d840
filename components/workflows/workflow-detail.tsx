"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";

/** A read-only view of one workflow until the canvas and editor studio arrives. */
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
        actions={data.deletedAt ? <Badge tone="danger">Deleted</Badge> : undefined}
      />
      <Alert tone="info" className="mb-5">
        The visual canvas and DSL editor arrive with the Studio editor capability. This page shows
        the workflow read-only.
      </Alert>

      <section aria-labelledby="versions-heading" className="mb-6">
        <h2 id="versions-heading" className="mb-2 text-sm font-semibold">
          Versions
        </h2>
        {data.versions.length === 0 ? (
          <p className="text-sm text-zinc-600">No published versions yet: only the draft below.</p>
        ) : (
          <Table label="Versions">
            <thead>
              <tr>
                <Th>Version</Th>
                <Th>Published</Th>
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

      <section aria-labelledby="draft-heading">
        <h2 id="draft-heading" className="mb-2 text-sm font-semibold">
          Draft
        </h2>
        <pre
          aria-label="Draft DSL"
          tabIndex={0}
          className="max-h-[28rem] overflow-auto rounded-lg border border-zinc-200 bg-white p-4 font-mono text-xs leading-relaxed text-zinc-800"
        >
          {data.draft}
        </pre>
      </section>
    </>
  );
}
