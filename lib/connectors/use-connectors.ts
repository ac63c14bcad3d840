"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import type { RouterInputs, RouterOutputs } from "@/lib/trpc/types";

export type Connector = RouterOutputs["connector"]["list"][number];
export type ConnectorDetail = RouterOutputs["connector"]["get"];
export type ImportedConnector = RouterOutputs["connector"]["importOpenApi"];
export type CreateConnectorInput = RouterInputs["connector"]["create"];
export type UpdateConnectorInput = RouterInputs["connector"]["update"];
export type AuthScheme = Connector["authScheme"];

/** The built-in systems a connector can serve (one connector each per workspace). */
export const CONNECTOR_SYSTEMS = ["crm", "billing", "clm"] as const;
export type ConnectorSystem = (typeof CONNECTOR_SYSTEMS)[number];

export const AUTH_SCHEMES: readonly { value: AuthScheme; label: string }[] = [
  { value: "none", label: "None" },
  { value: "api_key", label: "API key" },
  { value: "bearer", label: "Bearer token" },
  { value: "basic", label: "Basic (user and password)" },
  { value: "oauth2_client_credentials", label: "OAuth2 client credentials" },
];

export function authSchemeLabel(scheme: string): string {
  return AUTH_SCHEMES.find((s) => s.value === scheme)?.label ?? scheme;
}

/** The workspace's connectors and the admin mutations on them; every change refreshes the list. */
export function useConnectors() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.connector.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  return {
    list: useQuery(trpc.connector.list.queryOptions()),
    create: useMutation(trpc.connector.create.mutationOptions({ onSuccess: refresh })),
    update: useMutation(trpc.connector.update.mutationOptions({ onSuccess: refresh })),
    remove: useMutation(trpc.connector.delete.mutationOptions({ onSuccess: refresh })),
    setCredential: useMutation(
      trpc.connector.setCredential.mutationOptions({ onSuccess: refresh }),
    ),
    importOpenApi: useMutation(
      trpc.connector.importOpenApi.mutationOptions({ onSuccess: refresh }),
    ),
  };
}

/** One connector with the blocks it offers (an imported connector's operations). */
export function useConnector(id: string | null) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.connector.get.queryOptions({ id: id ?? "" }),
    enabled: Boolean(id),
  });
}
