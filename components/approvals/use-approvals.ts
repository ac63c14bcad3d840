"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import type { ApprovalKind, StatusFilter } from "./approval-view";

export interface ApprovalListInput {
  status: StatusFilter;
  kind?: ApprovalKind;
  workflowId?: string;
  cursor?: string;
  limit: number;
}

/** The inbox's page of approvals; it follows new requests and others' decisions by polling. */
export function useApprovalList(input: ApprovalListInput) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.approval.list.queryOptions(input),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
}

/**
 * Pending decisions of the workspace, and those the signed-in person may decide (`forMe`, the
 * navigation's badge): refreshed every 30 seconds and whenever the window regains focus.
 */
export function useApprovalCount() {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.approval.count.queryOptions(),
    refetchInterval: 30_000,
    refetchOnWindowFocus: "always",
  });
}

/** Refreshes the inbox, the badge and the runs after a decision (a decision moves a run on). */
function useRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.approval.pathFilter()),
      queryClient.invalidateQueries(trpc.run.pathFilter()),
    ]);
}

/** Approve, reject (with a comment) or submit a form's values; the server guards every one. */
export function useDecide() {
  const trpc = useTRPC();
  const refresh = useRefresh();
  return useMutation(trpc.approval.decide.mutationOptions({ onSettled: () => refresh() }));
}

/** An admin's break-glass decision, with its reason: its own action, flagged in the ledger. */
export function useBreakGlass() {
  const trpc = useTRPC();
  const refresh = useRefresh();
  return useMutation(trpc.approval.breakGlass.mutationOptions({ onSettled: () => refresh() }));
}
