"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { ConfirmRowAction, SettingsSection } from "./settings-section";

/**
 * Settings: the workspace's secrets (`secrets.<name>` in flows). Write-only: a value is sent
 * once, encrypted at rest, redacted from run data, and never shown again (at most a hint of its
 * last four characters). Editors and admins set and delete; everyone sees the names.
 */
export function SecretsPanel() {
  const canEdit = useCan("editor");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const secrets = useQuery(trpc.secret.list.queryOptions());
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.secret.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  const set = useMutation(
    trpc.secret.set.mutationOptions({
      onSuccess: async (row) => {
        setName("");
        setValue("");
        setNotice(`Saved secrets.${row.name}.`);
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.secret.delete.mutationOptions({ onSuccess: refresh }));
  const errors = formErrors(set.error);

  function onSave(e: FormEvent) {
    e.preventDefault();
    setNotice(null);
    set.mutate({ name, value });
  }

  return (
    <SettingsSection
      id="secrets-heading"
      title="Secrets"
      description={
        <>
          Values flows need, such as API keys: read them as{" "}
          <code className="font-mono text-xs">{"${{ secrets.NAME }}"}</code>. Encrypted at rest,
          never shown again, and redacted from run data, logs and the audit ledger. Saving a name
          that exists replaces its value.
        </>
      }
    >
      {canEdit ? (
        <form
          onSubmit={onSave}
          aria-label="Set a secret"
          className="grid grid-cols-[1fr_1fr_auto] items-start gap-3 rounded-lg border border-zinc-200 bg-white p-3"
          noValidate
        >
          <TextField
            label="Name"
            placeholder="partnerApiKey"
            value={name}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setName(e.target.value)}
            errors={errors.fields.name}
          />
          <TextField
            label="Value"
            type="password"
            autoComplete="new-password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            errors={errors.fields.value}
          />
          <Button type="submit" variant="primary" className="mt-5" pending={set.isPending}>
            Save secret
          </Button>
          {errors.message && (
            <Alert tone="error" className="col-span-3">
              {errors.message}
            </Alert>
          )}
          {notice && (
            <Alert tone="success" className="col-span-3">
              {notice}
            </Alert>
          )}
        </form>
      ) : (
        <p className="text-sm text-zinc-600">
          Only editors and admins of this workspace set and delete secrets.
        </p>
      )}

      {remove.error && <Alert tone="error">{errorMessage(remove.error)}</Alert>}

      {secrets.isPending ? (
        <p className="text-sm text-zinc-500">Loading secrets…</p>
      ) : secrets.error ? (
        <Alert tone="error">{errorMessage(secrets.error)}</Alert>
      ) : secrets.data.length === 0 ? (
        <p className="text-sm text-zinc-600">No secrets yet.</p>
      ) : (
        <Table label="Secrets">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Value</Th>
              <Th>Updated</Th>
              {canEdit && (
                <Th className="w-24">
                  <span className="sr-only">Actions</span>
                </Th>
              )}
            </tr>
          </thead>
          <tbody>
            {secrets.data.map((s) => (
              <tr key={s.name}>
                <Td className="font-mono text-xs">secrets.{s.name}</Td>
                <Td className="font-mono text-xs text-zinc-600">{s.hint || "set"}</Td>
                <Td className="text-zinc-600">{formatDateTime(s.updatedAt)}</Td>
                {canEdit && (
                  <Td className="text-right">
                    <ConfirmRowAction
                      label="Delete"
                      ariaLabel={`Delete secrets.${s.name}`}
                      confirm={`Delete secrets.${s.name}? Flows that read it fail from their next run on.`}
                      pending={remove.isPending && remove.variables?.name === s.name}
                      onConfirm={() => remove.mutate({ name: s.name })}
                    />
                  </Td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </SettingsSection>
  );
}
