"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTRPC } from "@/lib/trpc/client";
import type { StudioStore } from "./studio-store";

/**
 * Hands the workspace's directory (group names, member emails) to the studio's compile, so an
 * approval or form addressing an unknown `group:` or `users:` shows TF3060 while typing. Fetched
 * once per studio (again when the window regains focus, e.g. back from Settings → Groups), never
 * per keystroke; the store recompiles only when the directory really changed.
 */
export function useWorkspaceDirectory(store: StudioStore) {
  const trpc = useTRPC();
  const directory = useQuery({ ...trpc.group.directory.queryOptions(), staleTime: 30_000 });
  useEffect(() => {
    if (directory.data) store.setDirectory(directory.data);
  }, [store, directory.data]);
}
