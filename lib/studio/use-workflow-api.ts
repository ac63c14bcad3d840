"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";

/** The studio's server calls, in one place: components never import the server. */
export function useWorkflowApi(workflowId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workflow = useQuery({
    ...trpc.workflow.get.queryOptions({ id: workflowId }),
    // The studio owns the text once loaded: refetching must not reset it.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    // …and a studio opened again (back from a run, the workflow list) loads the text anew:
    // a cached copy would be the text as first loaded, older than the autosaved draft.
    gcTime: 0,
  });
  const versions = useQuery(trpc.workflow.listVersions.queryOptions({ id: workflowId }));
  const invalidateVersions = () =>
    queryClient.invalidateQueries({ queryKey: trpc.workflow.listVersions.queryKey() });
  const saveDraft = useMutation(trpc.workflow.saveDraft.mutationOptions());
  const createVersion = useMutation(
    trpc.workflow.createVersion.mutationOptions({ onSuccess: () => invalidateVersions() }),
  );
  const restoreVersion = useMutation(trpc.workflow.restoreVersion.mutationOptions());
  const fetchVersionText = async (versionId: string) =>
    (
      await queryClient.fetchQuery(
        trpc.workflow.getVersion.queryOptions(
          { id: workflowId, versionId },
          { staleTime: Infinity },
        ),
      )
    ).dsl;
  return { workflow, versions, saveDraft, createVersion, restoreVersion, fetchVersionText };
}
