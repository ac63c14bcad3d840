"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { FaultProfile } from "./fault-profile-editor";

/** What a fresh copy of a session is created from. */
export interface ForkableSession {
  id: string;
  name: string;
  seed: number;
  datasetRef: string | null;
  faultProfile: FaultProfile;
  sharedWith: "workspace" | string[];
  stateLostAt: Date | string | null;
}

/**
 * A session whose changed mock data was lost (a server restart): says so, and lets an editor
 * start a fresh copy from the same seed, dataset version, fault profile and sharing.
 */
export function SessionStateLost({
  session,
  canEdit,
  onForked,
}: {
  session: ForkableSession;
  canEdit: boolean;
  onForked: (id: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const fork = useMutation(
    trpc.sandbox.create.mutationOptions({
      onSuccess: async (s) => {
        await queryClient.invalidateQueries(trpc.sandbox.pathFilter());
        onForked(s.id);
      },
    }),
  );
  if (!session.stateLostAt) return null;
  return (
    <Alert
      tone="warning"
      action={
        canEdit ? (
          <Button
            size="sm"
            pending={fork.isPending}
            onClick={() =>
              fork.mutate({
                name: `${session.name.slice(0, 86)} (fresh copy)`,
                seed: session.seed,
                faultProfile: session.faultProfile,
                sharedWith: session.sharedWith,
                ...(session.datasetRef ? { datasetVersionId: session.datasetRef } : {}),
              })
            }
          >
            Start a fresh copy
          </Button>
        ) : undefined
      }
    >
      This session&apos;s mock data was lost: the server restarted after its runs had changed it, so
      new runs in it are refused. Fork again to go on from the same seed
      {session.datasetRef ? " and dataset version" : ""}.
      {fork.error && <span className="mt-1 block">{errorMessage(fork.error)}</span>}
    </Alert>
  );
}
