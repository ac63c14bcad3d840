"use client";

import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { mockPathOf } from "@/lib/connectors/mock-faults";
import {
  authSchemeLabel,
  useConnectors,
  type Connector,
  type ImportedConnector,
} from "@/lib/connectors/use-connectors";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan, useCurrentWorkspace } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import {
  ConnectorFormDialog,
  credentialMoves,
  type ConnectorFormValues,
} from "./connector-form-dialog";
import { CredentialDialog } from "./credential-dialog";
import { FaultPanel } from "./fault-panel";
import { ImportOpenApiDialog } from "./import-openapi-dialog";

type Editing = { kind: "new" } | { kind: "edit"; connector: Connector } | null;

/** The Connectors page: the workspace's connectors, their credentials, imports and mock faults. */
export function ConnectorsView() {
  const isAdmin = useCan("admin");
  const workspace = useCurrentWorkspace();
  const c = useConnectors();
  const [editing, setEditing] = useState<Editing>(null);
  const [credentialFor, setCredentialFor] = useState<Connector | null>(null);
  const [importOpen, setImportOpen] = useState(false);
  const [imported, setImported] = useState<ImportedConnector | undefined>();
  const [faultsFor, setFaultsFor] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const connectors = c.list.data ?? [];
  const faultTarget = connectors.find((x) => x.id === faultsFor);
  const faultPath = faultTarget ? mockPathOf(faultTarget.baseUrl, workspace.data?.id) : null;

  function saveConnector(values: ConnectorFormValues) {
    const auth = {
      authScheme: values.authScheme,
      ...(values.authScheme === "api_key" && values.authHeader.trim()
        ? { authHeader: values.authHeader.trim() }
        : {}),
      ...(values.authScheme === "oauth2_client_credentials"
        ? {
            ...(values.tokenUrl.trim() ? { tokenUrl: values.tokenUrl.trim() } : {}),
            ...(values.scope.trim() ? { scope: values.scope.trim() } : {}),
          }
        : {}),
    };
    const done = (verb: string) => (row: Connector) => {
      setEditing(null);
      setNotice(`${verb} “${row.name}”.`);
    };
    if (editing?.kind === "edit") {
      // Moving a connector with a credential to another host carries the credential again.
      const credential =
        credentialMoves(editing.connector, values) && values.credentialSecret
          ? {
              credential: {
                secret: values.credentialSecret,
                ...(values.credentialUsername.trim()
                  ? { username: values.credentialUsername.trim() }
                  : {}),
                ...(values.credentialClientId.trim()
                  ? { clientId: values.credentialClientId.trim() }
                  : {}),
              },
            }
          : {};
      c.update.mutate(
        {
          id: editing.connector.id,
          name: values.name,
          baseUrl: values.baseUrl,
          ...auth,
          ...credential,
        },
        { onSuccess: done("Saved") },
      );
    } else {
      c.create.mutate(
        {
          name: values.name,
          system: values.system as "crm" | "billing" | "clm",
          baseUrl: values.baseUrl,
          ...auth,
        },
        { onSuccess: done("Created") },
      );
    }
  }

  return (
    <>
      <PageHeader
        title="Connectors"
        description="Where the CRM, billing and CLM systems live, how flows authenticate to them, and imported APIs."
        actions={
          isAdmin && (
            <>
              <Button
                onClick={() => {
                  c.importOpenApi.reset();
                  setImported(undefined);
                  setImportOpen(true);
                }}
              >
                Import OpenAPI
              </Button>
              <Button
                variant="primary"
                onClick={() => {
                  c.create.reset();
                  setEditing({ kind: "new" });
                }}
              >
                New connector
              </Button>
            </>
          )
        }
      />
      <div className="space-y-4">
        {!isAdmin && workspace.data && (
          <Alert tone="info">Only admins of this workspace change connectors and faults.</Alert>
        )}
        {notice && (
          <Alert
            tone="success"
            action={
              <Button size="sm" variant="ghost" onClick={() => setNotice(null)}>
                Dismiss
              </Button>
            }
          >
            {notice}
          </Alert>
        )}
        {c.remove.error && <Alert tone="error">{errorMessage(c.remove.error)}</Alert>}

        {c.list.isPending ? (
          <p className="text-sm text-zinc-500">Loading connectors…</p>
        ) : c.list.error ? (
          <Alert tone="error">{errorMessage(c.list.error)}</Alert>
        ) : connectors.length === 0 ? (
          <EmptyState title="No connectors yet">
            Steps that call the CRM, billing or CLM fail until their system has a connector.
            {isAdmin ? " Create one, or point one at this app's mock services to try flows." : ""}
          </EmptyState>
        ) : (
          <Table label="Connectors">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>System</Th>
                <Th>Base URL</Th>
                <Th>Auth</Th>
                <Th>Credential</Th>
                <Th>Updated</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {connectors.map((row) => {
                const mock = mockPathOf(row.baseUrl, workspace.data?.id) !== null;
                return (
                  <tr key={row.id} data-testid={`connector-${row.name}`}>
                    <Td className="font-medium">
                      {row.name}
                      {row.kind === "openapi" && (
                        <span className="ml-1.5">
                          <Badge tone="accent">OpenAPI</Badge>
                        </span>
                      )}
                    </Td>
                    <Td className="font-mono text-xs">{row.system}</Td>
                    <Td
                      className="max-w-72 truncate font-mono text-xs text-zinc-600"
                      title={row.baseUrl}
                    >
                      {row.baseUrl}
                      {mock && (
                        <span className="ml-1.5">
                          <Badge>mock</Badge>
                        </span>
                      )}
                    </Td>
                    <Td className="text-zinc-600">{authSchemeLabel(row.authScheme)}</Td>
                    <Td data-testid={`credential-${row.name}`}>
                      {row.credential ? (
                        <span className="text-zinc-700">
                          Set{row.credential.hint ? ` (${row.credential.hint})` : ""}
                          <span className="block text-[11px] text-zinc-500">
                            {formatDateTime(row.credential.updatedAt)}
                          </span>
                        </span>
                      ) : (
                        <span className="text-zinc-500">
                          {row.authScheme === "none" ? "Not needed" : "Not set"}
                        </span>
                      )}
                    </Td>
                    <Td className="text-zinc-600">{formatDateTime(row.updatedAt)}</Td>
                    <Td className="text-right whitespace-nowrap">
                      {mock && (
                        <Button
                          size="sm"
                          variant="ghost"
                          aria-label={`Faults of ${row.name}`}
                          aria-pressed={faultsFor === row.id}
                          onClick={() => setFaultsFor(faultsFor === row.id ? null : row.id)}
                        >
                          Faults
                        </Button>
                      )}
                      {isAdmin && (
                        <>
                          {row.kind === "builtin" && (
                            <Button
                              size="sm"
                              variant="ghost"
                              aria-label={`Edit ${row.name}`}
                              onClick={() => {
                                c.update.reset();
                                setEditing({ kind: "edit", connector: row });
                              }}
                            >
                              Edit
                            </Button>
                          )}
                          {row.authScheme !== "none" && (
                            <Button
                              size="sm"
                              variant="ghost"
                              aria-label={`Set credential of ${row.name}`}
                              onClick={() => {
                                c.setCredential.reset();
                                setCredentialFor(row);
                              }}
                            >
                              Credential
                            </Button>
                          )}
                          <Button
                            size="sm"
                            variant="ghost"
                            className="text-red-700 hover:bg-red-50"
                            aria-label={`Delete ${row.name}`}
                            pending={c.remove.isPending && c.remove.variables?.id === row.id}
                            onClick={() => {
                              if (
                                window.confirm(
                                  `Delete “${row.name}”? Steps calling ${row.system} fail until it has a connector again.`,
                                )
                              ) {
                                c.remove.mutate(
                                  { id: row.id },
                                  {
                                    onSuccess: () => {
                                      if (faultsFor === row.id) setFaultsFor(null);
                                      setNotice(`Deleted “${row.name}”.`);
                                    },
                                  },
                                );
                              }
                            }}
                          >
                            Delete
                          </Button>
                        </>
                      )}
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}

        {faultTarget && faultPath && (
          <FaultPanel
            key={faultTarget.id}
            name={faultTarget.name}
            system={faultTarget.system}
            path={faultPath}
            canEdit={isAdmin}
          />
        )}
      </div>

      <ConnectorFormDialog
        open={editing !== null}
        connector={editing?.kind === "edit" ? editing.connector : null}
        workspaceId={workspace.data?.id}
        pending={c.create.isPending || c.update.isPending}
        error={editing?.kind === "edit" ? c.update.error : c.create.error}
        onSubmit={saveConnector}
        onClose={() => setEditing(null)}
      />
      <CredentialDialog
        connector={credentialFor}
        pending={c.setCredential.isPending}
        error={c.setCredential.error}
        onSubmit={(values) => {
          const target = credentialFor;
          if (!target) return;
          c.setCredential.mutate(
            { connectorId: target.id, ...values },
            {
              onSuccess: (saved) => {
                setCredentialFor(null);
                setNotice(
                  `Credential of “${target.name}” saved${saved.hint ? ` (${saved.hint})` : ""}. It is not shown again.`,
                );
              },
            },
          );
        }}
        onClose={() => setCredentialFor(null)}
      />
      <ImportOpenApiDialog
        open={importOpen}
        pending={c.importOpenApi.isPending}
        error={c.importOpenApi.error}
        result={imported}
        onSubmit={(values) => c.importOpenApi.mutate(values, { onSuccess: (r) => setImported(r) })}
        onClose={() => {
          setImportOpen(false);
          setImported(undefined);
        }}
      />
    </>
  );
}
