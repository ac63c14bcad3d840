"use client";

import { useQuery } from "@tanstack/react-query";
import { hasRole, type Role } from "@/lib/enums";
import { useTRPC } from "./client";

/** The workspace the caller acts in, with their role there (`workspace.current`). */
export function useCurrentWorkspace() {
  const trpc = useTRPC();
  return useQuery(trpc.workspace.current.queryOptions());
}

/** Whether the caller has at least `role` here; false while the workspace is loading. */
export function useCan(role: Role): boolean {
  const { data } = useCurrentWorkspace();
  return hasRole(data?.role, role);
}
