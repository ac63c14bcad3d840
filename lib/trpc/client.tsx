"use client";

import {
  QueryCache,
  QueryClient,
  QueryClientProvider,
  useQueryClient,
} from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useCallback, useState, useSyncExternalStore, type ReactNode } from "react";
import superjson from "superjson";
import {
  WORKSPACE_HEADER,
  readSelectedWorkspace,
  writeSelectedWorkspace,
} from "@/lib/workspace-selection";
import { isClientError, isUnauthorized } from "./errors";
import type { AppRouter } from "./types";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 15_000, retry: (count, error) => !isClientError(error) && count < 2 },
    },
    queryCache: new QueryCache({
      onError(error) {
        // The session expired while the page was open: go and sign in again, then come back.
        if (isUnauthorized(error) && !window.location.pathname.startsWith("/sign-")) {
          const back = encodeURIComponent(window.location.pathname + window.location.search);
          // Outside React there is no router; a full load also drops the stale cache.
          // eslint-disable-next-line @next/next/no-location-assign-relative-destination
          window.location.assign(`/sign-in?callbackUrl=${back}`);
        }
      },
    }),
  });
}

let browserQueryClient: QueryClient | undefined;
function getQueryClient() {
  // On the server every request gets its own client; in the browser one lives for the session.
  if (typeof window === "undefined") return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

/** Provides tRPC and TanStack Query to the app; every call carries the selected workspace. */
export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: "/api/trpc",
          transformer: superjson,
          headers() {
            // Read at call time so a switch applies to the very next request.
            const id = readSelectedWorkspace();
            return id ? { [WORKSPACE_HEADER]: id } : {};
          },
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

const listeners = new Set<() => void>();
function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Forgets the selected workspace (on sign-in and sign-out: another user may use this browser). */
export function clearSelectedWorkspace() {
  writeSelectedWorkspace(null);
  listeners.forEach((l) => l());
}

/**
 * The selected workspace id (null: the server picks the user's first workspace) and a way to
 * switch. Switching invalidates every query, so all data is refetched for the new workspace.
 */
export function useWorkspaceSelection() {
  const queryClient = useQueryClient();
  const selectedId = useSyncExternalStore(subscribe, readSelectedWorkspace, () => null);
  const select = useCallback(
    (id: string | null) => {
      writeSelectedWorkspace(id);
      listeners.forEach((l) => l());
      void queryClient.invalidateQueries();
    },
    [queryClient],
  );
  return { selectedId, select };
}
