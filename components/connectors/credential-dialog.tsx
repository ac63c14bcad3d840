"use client";

import { useState, type FormEvent } from "react";
import type { Connector } from "@/lib/connectors/use-connectors";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";

export interface CredentialValues {
  secret: string;
  username?: string;
  clientId?: string;
}

/**
 * Sets a connector's credential. Write-only: the secret is sent once, encrypted at rest, and never
 * shown again (the list shows at most a hint of its last four characters).
 */
export function CredentialDialog({
  connector,
  pending,
  error,
  onSubmit,
  onClose,
}: {
  connector: Connector | null;
  pending: boolean;
  error: unknown;
  onSubmit: (values: CredentialValues) => void;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={connector !== null}
      onClose={onClose}
      title={connector ? `Set the credential of ${connector.name}` : "Set credential"}
      description="Write-only: it is encrypted at rest and never shown again. Saving replaces any credential set before."
    >
      {connector && (
        <CredentialForm
          key={connector.id}
          connector={connector}
          pending={pending}
          error={error}
          onSubmit={onSubmit}
          onClose={onClose}
        />
      )}
    </Dialog>
  );
}

function CredentialForm({
  connector,
  pending,
  error,
  onSubmit,
  onClose,
}: {
  connector: Connector;
  pending: boolean;
  error: unknown;
  onSubmit: (values: CredentialValues) => void;
  onClose: () => void;
}) {
  const [secret, setSecret] = useState("");
  const [username, setUsername] = useState("");
  const [clientId, setClientId] = useState("");
  const errors = formErrors(error);
  const scheme = connector.authScheme;
  const secretLabel =
    scheme === "api_key"
      ? "API key"
      : scheme === "bearer"
        ? "Token"
        : scheme === "basic"
          ? "Password"
          : scheme === "oauth2_client_credentials"
            ? "Client secret"
            : "Secret";

  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit({
      secret,
      ...(scheme === "basic" && username.trim() ? { username: username.trim() } : {}),
      ...(scheme === "oauth2_client_credentials" && clientId.trim()
        ? { clientId: clientId.trim() }
        : {}),
    });
  }

  return (
    <form onSubmit={submit} className="space-y-3" noValidate aria-label="Credential">
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      {scheme === "basic" && (
        <TextField
          label="Username"
          value={username}
          autoComplete="off"
          onChange={(e) => setUsername(e.target.value)}
          errors={errors.fields.username}
        />
      )}
      {scheme === "oauth2_client_credentials" && (
        <TextField
          label="Client ID"
          value={clientId}
          autoComplete="off"
          onChange={(e) => setClientId(e.target.value)}
          errors={errors.fields.clientId}
        />
      )}
      <TextField
        label={secretLabel}
        type="password"
        value={secret}
        autoComplete="new-password"
        autoFocus
        spellCheck={false}
        onChange={(e) => setSecret(e.target.value)}
        errors={errors.fields.secret}
      />
      <div className="flex justify-end gap-2 pt-1">
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" pending={pending} disabled={!secret}>
          Save credential
        </Button>
      </div>
    </form>
  );
}
