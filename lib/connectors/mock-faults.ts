"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { readSelectedWorkspace, WORKSPACE_HEADER } from "@/lib/workspace-selection";

/**
 * Client for the mock services' control endpoints (`/_faults`, `/_stats`, `/_reset`; see
 * server/adapters/connectors/REST.md). They are served by this app, so the browser calls them on
 * its own origin with the path of the connector's base URL (which carries the `/t/<tenant>`).
 */

/** One fault rule as the mock stores it. */
export interface FaultRule {
  operation: string;
  latencyMs?: number;
  errorRate?: number;
  status?: number;
  retryAfterS?: number;
  timeoutRate?: number;
  malformedRate?: number;
  seed?: number;
}

export interface FaultsState {
  tenant: string;
  seed: number;
  faults: FaultRule[];
}

export interface MockStats {
  tenant: string;
  requests: Record<string, number>;
  writes: number;
  replays: number;
}

/** Statuses an injected error may answer with (429/503 carry `Retry-After`). */
export const FAULT_STATUSES = [429, 500, 503] as const;

/** The operation names of each mock system (`*`: every operation). */
export const MOCK_OPERATIONS: Record<string, readonly string[]> = {
  crm: [
    "contact.get",
    "contact.search",
    "contact.create",
    "contact.update",
    "contact.delete",
    "company.get",
    "company.upsert",
    "deal.get",
    "deal.create",
    "deal.update",
    "deal.delete",
  ],
  billing: [
    "account.get",
    "account.upsert",
    "account.archive",
    "invoice.create",
    "invoice.get",
    "invoice.void",
    "invoice.send",
    "charge.create",
    "refund.create",
  ],
  clm: [
    "contract.get",
    "contract.create",
    "contract.renew",
    "contract.terminate",
    "signature.request",
    "signature.get",
    "signature.cancel",
  ],
};

/**
 * The path of this app's mock route (`/api/mock/<system>/t/<tenant>`) for a connector whose base
 * URL is a built-in mock service: `mock://<system>` (reached in-process by runs; the tenant is
 * the workspace) or a legacy `…/api/mock/<system>[/t/<tenant>]` URL. Null for any other URL.
 */
export function mockPathOf(baseUrl: string, workspaceId?: string): string | null {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return null;
  }
  if (url.protocol === "mock:") {
    const system = url.hostname;
    return workspaceId && /^(crm|billing|clm)$/.test(system)
      ? `/api/mock/${system}/t/${workspaceId}`
      : null;
  }
  const path = url.pathname.replace(/\/+$/, "");
  return /^\/api\/mock\/(crm|billing|clm)(\/t\/[^/]+)?$/.test(path) ? path : null;
}

/**
 * The base URL of the built-in mock service for `system`: `mock://<system>`. Runs reach it
 * in-process (never over the network), isolated per workspace (tenant = the run's workspace).
 */
export function mockBaseUrlFor(system: string): string {
  return `mock://${system}`;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  // The mock route serves the workspace the browser acts in (session cookie + this header).
  const workspaceId = readSelectedWorkspace();
  const res = await fetch(path, {
    ...init,
    headers: {
      "content-type": "application/json",
      ...(workspaceId ? { [WORKSPACE_HEADER]: workspaceId } : {}),
      ...init?.headers,
    },
    cache: "no-store",
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new Error(`The mock answered ${res.status} with a body that is not JSON.`);
  }
  if (!res.ok) {
    const message = (body as { error?: { message?: string } } | null)?.error?.message;
    throw new Error(message ?? `The mock answered ${res.status}.`);
  }
  return body as T;
}

const keys = {
  faults: (path: string) => ["mock", path, "faults"] as const,
  stats: (path: string) => ["mock", path, "stats"] as const,
};

/** Fault rules and request counts of one mock system, with set / clear / reset. */
export function useMockFaults(path: string) {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["mock", path] });
  return {
    faults: useQuery({
      queryKey: keys.faults(path),
      queryFn: () => call<FaultsState>(`${path}/_faults`),
    }),
    stats: useQuery({
      queryKey: keys.stats(path),
      queryFn: () => call<MockStats>(`${path}/_stats`),
    }),
    setFault: useMutation({
      mutationFn: (rule: FaultRule) =>
        call<FaultsState>(`${path}/_faults`, { method: "POST", body: JSON.stringify(rule) }),
      onSuccess: refresh,
    }),
    clearFaults: useMutation({
      mutationFn: (operation?: string) =>
        call<FaultsState>(
          `${path}/_faults${operation ? `?operation=${encodeURIComponent(operation)}` : ""}`,
          { method: "DELETE" },
        ),
      onSuccess: refresh,
    }),
    reset: useMutation({
      mutationFn: () => call<{ reset: boolean }>(`${path}/_reset`, { method: "POST" }),
      onSuccess: refresh,
    }),
    refresh,
  };
}
