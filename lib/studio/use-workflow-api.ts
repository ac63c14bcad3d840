"use client";

import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useTRPC } from "@/lib/trpc/client";

/**
 * The studio's server calls, in one place: components never import the server. Each is a hook
 * of its own, so a component asks for what it uses and TanStack Query shares the cache (one
 * request for the versions list however many panels show it).
 */

/** The workflow the studio opens. */
export function useWorkflow(workflowId: string) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.workflow.get.queryOptions({ id: workflowId }),
    // The studio owns the text once loaded: refetching must not reset it.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    // …and a studio opened again (back from a run, the workflow list) loads the text anew:
    // a cached copy would be the text as first loaded, older than the autosaved draft.
    gcTime: 0,
  });
}

/** The workflow's versions (newest first is the caller's order to choose). */
export function useVersions(workflowId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.workflow.listVersions.queryOptions({ id: workflowId }));
}

/** A version's text never changes: fetched once, then read from the cache. */
const VERSION_TEXT = { staleTime: Infinity } as const;

/** One version's text; idle while `versionId` is null. */
export function useVersionText(workflowId: string, versionId: string | null) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.workflow.getVersion.queryOptions(
      versionId === null ? skipToken : { id: workflowId, versionId },
      VERSION_TEXT,
    ),
    select: (v) => v.dsl,
  });
}

/** Reads a version's text on demand (a comparison asked for), through the same cache. */
export function useFetchVersionText(workflowId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useCallback(
    async (versionId: string) =>
      (
        await queryClient.fetchQuery(
          trpc.workflow.getVersion.queryOptions({ id: workflowId, versionId }, VERSION_TEXT),
        )
      ).dsl,
    [trpc, queryClient, workflowId],
  );
}

export function useSaveDraft() {
  const trpc = useTRPC();
  return useMutation(trpc.workflow.saveDraft.mutationOptions());
}

/** Publishes a version; the versions list is refetched after. */
export function useCreateVersion() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.workflow.createVersion.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({ queryKey: trpc.workflow.listVersions.queryKey() }),
    }),
  );
}

export function useRestoreVersion() {
  const trpc = useTRPC();
  return useMutation(trpc.workflow.restoreVersion.mutationOptions());
}
