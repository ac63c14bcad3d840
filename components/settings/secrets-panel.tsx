"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { TextField } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { ConfirmRowAction } from "./confirm-row-action";
import { SettingsForm } from "./settings-form";
import { SettingsSection } from "./settings-section";
import { SettingsTable, type SettingsColumn } from "./settings-table";

const SECRET_COLUMNS: readonly SettingsColumn[] = [
  { label: "Name" },
  { label: "Value" },
  { label: "Updated" },
];

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
        <SettingsForm
          label="Set a secret"
          submitLabel="Save secret"
          pending={set.isPending}
          onSubmit={() => {
            setNotice(null);
            set.mutate({ name, value });
          }}
          error={errors.message}
          notice={notice}
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
        </SettingsForm>
      ) : (
        <p className="text-sm text-zinc-600">
          Only editors and admins of this workspace set and delete secrets.
        </p>
      )}

      <SettingsTable
        label="Secrets"
        columns={SECRET_COLUMNS}
        actions={canEdit}
        query={secrets}
        loadingText="Loading secrets…"
        emptyText="No secrets yet."
        actionError={remove.error}
      >
        {secrets.data?.map((s) => (
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
      </SettingsTable>
    </SettingsSection>
  );
}
