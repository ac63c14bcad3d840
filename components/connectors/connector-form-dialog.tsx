"use client";

import { useState, type FormEvent } from "react";
import {
  AUTH_SCHEMES,
  CONNECTOR_SYSTEMS,
  type AuthScheme,
  type Connector,
} from "@/lib/connectors/use-connectors";
import { mockBaseUrlFor } from "@/lib/connectors/mock-faults";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { SelectField, TextField } from "@/components/ui/field";

export interface ConnectorFormValues {
  name: string;
  system: string;
  baseUrl: string;
  authScheme: AuthScheme;
  authHeader: string;
  tokenUrl: string;
  scope: string;
  /**
   * The credential again, asked only when an edit moves a connector that has one to another host
   * (the server never carries a stored credential to a new host). Empty: not given.
   */
  credentialSecret: string;
  credentialUsername: string;
  credentialClientId: string;
}

/** `scheme://host:port` of a URL, or the text itself when it does not parse. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Whether an edit sends the connector's stored credential to another origin. */
export function credentialMoves(connector: Connector | null, values: ConnectorFormValues) {
  if (!connector?.credential) return false;
  if (values.baseUrl && originOf(values.baseUrl) !== originOf(connector.baseUrl)) return true;
  const before = connector.authSettings.tokenUrl;
  return (
    values.authScheme === "oauth2_client_credentials" &&
    !!before &&
    !!values.tokenUrl &&
    originOf(values.tokenUrl) !== originOf(before)
  );
}

function initialValues(connector: Connector | null): ConnectorFormValues {
  return {
    name: connector?.name ?? "",
    system: connector?.system ?? "crm",
    baseUrl: connector?.baseUrl ?? "",
    authScheme: connector?.authScheme ?? "none",
    authHeader: connector?.authSettings.header ?? "",
    tokenUrl: connector?.authSettings.tokenUrl ?? "",
    scope: connector?.authSettings.scope ?? "",
    credentialSecret: "",
    credentialUsername: "",
    credentialClientId: "",
  };
}

/**
 * Create a connector, or edit one (`connector` set): name, system (create only), base URL and
 * auth settings. Secrets are not set here but with "Set credential" (write-only).
 */
export function ConnectorFormDialog({
  open,
  connector,
  workspaceId,
  pending,
  error,
  onSubmit,
  onClose,
}: {
  open: boolean;
  connector: Connector | null;
  workspaceId: string | undefined;
  pending: boolean;
  error: unknown;
  onSubmit: (values: ConnectorFormValues) => void;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={connector ? `Edit ${connector.name}` : "New connector"}
      description={
        connector
          ? "Changes apply to the next step that calls this system."
          : "Where a built-in system (CRM, billing, CLM) lives and how to authenticate to it."
      }
    >
      {open && (
        <ConnectorForm
          key={connector?.id ?? "new"}
          connector={connector}
          workspaceId={workspaceId}
          pending={pending}
          error={error}
          onSubmit={onSubmit}
          onClose={onClose}
        />
      )}
    </Dialog>
  );
}

function ConnectorForm({
  connector,
  workspaceId,
  pending,
  error,
  onSubmit,
  onClose,
}: {
  connector: Connector | null;
  workspaceId: string | undefined;
  pending: boolean;
  error: unknown;
  onSubmit: (values: ConnectorFormValues) => void;
  onClose: () => void;
}) {
  const [values, setValues] = useState(() => initialValues(connector));
  const errors = formErrors(error);
  const set = (patch: Partial<ConnectorFormValues>) => setValues((v) => ({ ...v, ...patch }));
  const builtin = (CONNECTOR_SYSTEMS as readonly string[]).includes(values.system);
  const moves = credentialMoves(connector, values);

  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(values);
  }

  return (
    <form onSubmit={submit} className="space-y-3" noValidate aria-label="Connector">
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      <TextField
        label="Name"
        value={values.name}
        placeholder="billing-eu"
        onChange={(e) => set({ name: e.target.value })}
        errors={errors.fields.name}
        autoFocus
        maxLength={40}
      />
      {!connector && (
        <SelectField
          label="System"
          value={values.system}
          onChange={(e) => set({ system: e.target.value })}
          errors={errors.fields.system}
        >
          {CONNECTOR_SYSTEMS.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
      )}
      <TextField
        label="Base URL"
        type="url"
        value={values.baseUrl}
        placeholder="https://api.example.com/v1"
        onChange={(e) => set({ baseUrl: e.target.value })}
        errors={errors.fields.baseUrl}
        hint={
          builtin && workspaceId ? (
            <button
              type="button"
              className="text-accent-700 hover:underline"
              onClick={() =>
                set({
                  baseUrl: mockBaseUrlFor(values.system),
                })
              }
            >
              Use this app&apos;s mock {values.system} service
            </button>
          ) : undefined
        }
      />
      <SelectField
        label="Authentication"
        value={values.authScheme}
        onChange={(e) => set({ authScheme: e.target.value as AuthScheme })}
        errors={errors.fields.authScheme}
      >
        {AUTH_SCHEMES.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </SelectField>
      {values.authScheme === "api_key" && (
        <TextField
          label="Header (optional)"
          value={values.authHeader}
          placeholder="X-API-Key"
          onChange={(e) => set({ authHeader: e.target.value })}
          errors={errors.fields.authHeader}
        />
      )}
      {values.authScheme === "oauth2_client_credentials" && (
        <>
          <TextField
            label="Token URL"
            type="url"
            value={values.tokenUrl}
            onChange={(e) => set({ tokenUrl: e.target.value })}
            errors={errors.fields.tokenUrl}
          />
          <TextField
            label="Scope (optional)"
            value={values.scope}
            onChange={(e) => set({ scope: e.target.value })}
            errors={errors.fields.scope}
          />
        </>
      )}
      {moves && (
        <div className="space-y-3 rounded-md border border-amber-200 bg-amber-50 p-3">
          <p className="text-sm text-amber-900">
            This sends requests to another host: enter the credential for it. The stored one was
            given for {originOf(connector!.baseUrl)} and never follows the connector elsewhere.
          </p>
          {values.authScheme === "basic" && (
            <TextField
              label="Username"
              value={values.credentialUsername}
              autoComplete="off"
              onChange={(e) => set({ credentialUsername: e.target.value })}
            />
          )}
          {values.authScheme === "oauth2_client_credentials" && (
            <TextField
              label="Client id"
              value={values.credentialClientId}
              autoComplete="off"
              onChange={(e) => set({ credentialClientId: e.target.value })}
            />
          )}
          <TextField
            label="Credential for the new host"
            type="password"
            autoComplete="new-password"
            value={values.credentialSecret}
            onChange={(e) => set({ credentialSecret: e.target.value })}
            errors={errors.fields.credential}
          />
        </div>
      )}
      <div className="flex justify-end gap-2 pt-1">
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" pending={pending}>
          {connector ? "Save connector" : "Create connector"}
        </Button>
      </div>
    </form>
  );
}
