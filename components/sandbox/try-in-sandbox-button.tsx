"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Button } from "@/components/ui/button";

/**
 * "Try in sandbox" on a failed run (editors): copies the run into a new sandbox session with its
 * inputs and recorded answers (`sandbox.fromRun`), then opens the studio on its flow with the
 * Sandbox tab on that session and the run's inputs filled in.
 */
export function TryInSandboxButton({
  run,
}: {
  run: { id: string; status: string; workflowId: string | null; workflowDeleted: boolean };
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const canEdit = useCan("editor");
  const copy = useMutation(
    trpc.sandbox.fromRun.mutationOptions({
      onSuccess: (r) => {
        const workflowId = r.workflowId ?? run.workflowId;
        if (!workflowId) return;
        const q = new URLSearchParams({ sandbox: r.sessionId, inputsFrom: run.id });
        router.push(`/studio/${workflowId}?${q.toString()}`);
      },
    }),
  );
  if (!canEdit || run.status !== "failed" || !run.workflowId || run.workflowDeleted) return null;
  return (
    <span className="flex flex-col items-end gap-1">
      <Button
        onClick={() => copy.mutate({ runId: run.id })}
        pending={copy.isPending}
        title="Copy this run's inputs and recorded answers into a new sandbox session and open the studio there"
      >
        Try in sandbox
      </Button>
      {copy.error && (
        <span role="alert" className="max-w-64 text-xs text-red-700">
          {errorMessage(copy.error)}
        </span>
      )}
    </span>
  );
}
