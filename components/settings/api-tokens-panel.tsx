"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Badge } from "@/components/ui/badge";
import { SelectField, TextField } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { ConfirmRowAction } from "./confirm-row-action";
import { SettingsForm } from "./settings-form";
import { SettingsSection } from "./settings-section";
import { SettingsTable, type SettingsColumn } from "./settings-table";
import { ShownOnce } from "./shown-once";

export function ApiTokensPanel() {
  const isAdmin = useCan("admin");
  return (
    <SettingsSection
      id="tokens-heading"
      title="API tokens"
      description={
        <>
          For scripts and CI: send{" "}
          <code className="font-mono text-xs">Authorization: Bearer …</code>. A token does only what
          its scopes allow, never more than its creator&apos;s current role in this workspace, and
          stops at its expiry.{" "}
          <Link href="/developers/api" className="text-accent-700 underline">
            REST API reference
          </Link>
        </>
      }
    >
      {isAdmin ? (
        <TokensAdmin />
      ) : (
        <p className="text-sm text-zinc-600">Only admins of this workspace manage API tokens.</p>
      )}
    </SettingsSection>
  );
}

type Scope = "read" | "run" | "approve" | "admin";
const SCOPES: { value: Scope; label: string; hint: string }[] = [
  { value: "read", label: "read", hint: "see flows, runs, connectors and the ledger" },
  { value: "run", label: "run", hint: "start and cancel runs" },
  { value: "approve", label: "approve", hint: "decide approval steps" },
  { value: "admin", label: "admin", hint: "change flows, triggers, connectors and settings" },
];
const TOKEN_COLUMNS: readonly SettingsColumn[] = [
  { label: "Name" },
  { label: "Prefix" },
  { label: "Scopes" },
  { label: "Created by" },
  { label: "Created" },
  { label: "Last used" },
  { label: "Expires" },
  { label: "Status" },
];
const LIFETIMES = [7, 30, 90, 365] as const;
const formatDay = (d: Date | string) =>
  new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "short", day: "2-digit" }).format(
    typeof d === "string" ? new Date(d) : d,
  );

function TokensAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.token.list.queryOptions());
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["read"]);
  const [days, setDays] = useState<number>(90);
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.token.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: async (t) => {
        setSecret({ name: t.name, value: t.secret });
        setName("");
        setScopes(["read"]);
        setDays(90);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.token.revoke.mutationOptions({ onSuccess: refresh }));
  const errors = formErrors(create.error);

  return (
    <>
      <SettingsForm
        label="Create an API token"
        layout="field-and-select"
        submitLabel="Create token"
        pending={create.isPending}
        onSubmit={() => create.mutate({ name, scopes, expiresInDays: days })}
        error={errors.message}
        below={
          <fieldset className="col-span-3">
            <legend className="text-xs font-medium text-zinc-700">Scopes</legend>
            <div className="mt-1 flex flex-wrap gap-x-5 gap-y-1">
              {SCOPES.map((sc) => (
                <label key={sc.value} className="flex items-center gap-1.5 text-sm text-zinc-800">
                  <input
                    type="checkbox"
                    checked={scopes.includes(sc.value)}
                    onChange={(e) =>
                      setScopes((cur) =>
                        e.target.checked ? [...cur, sc.value] : cur.filter((v) => v !== sc.value),
                      )
                    }
                  />
                  <span className="font-mono text-xs">{sc.label}</span>
                  <span className="text-xs text-zinc-500">{sc.hint}</span>
                </label>
              ))}
            </div>
            {errors.fields.scopes && (
              <p className="mt-1 text-xs text-red-700">{errors.fields.scopes.join(" ")}</p>
            )}
          </fieldset>
        }
      >
        <TextField
          label="Token name"
          placeholder="ci-deploy"
          value={name}
          onChange={(e) => setName(e.target.value)}
          errors={errors.fields.name}
        />
        <SelectField
          label="Expires after"
          value={String(days)}
          onChange={(e) => setDays(Number(e.target.value))}
          errors={errors.fields.expiresInDays}
        >
          {LIFETIMES.map((d) => (
            <option key={d} value={d}>
              {d} days
            </option>
          ))}
        </SelectField>
      </SettingsForm>

      {secret && (
        <ShownOnce testId="new-token-secret" value={secret.value} onDone={() => setSecret(null)}>
          Copy the secret of “{secret.name}” now: it is shown only once and cannot be recovered.
        </ShownOnce>
      )}

      <SettingsTable
        label="API tokens"
        columns={TOKEN_COLUMNS}
        actions
        query={tokens}
        loadingText="Loading tokens…"
        emptyText="No API tokens yet."
        actionError={revoke.error}
      >
        {tokens.data?.map((t) => (
          <tr key={t.id}>
            <Td className="font-medium">{t.name}</Td>
            <Td className="font-mono text-xs text-zinc-600">{t.prefix}…</Td>
            <Td className="font-mono text-xs text-zinc-600">{t.scopes.join(", ")}</Td>
            <Td className="text-zinc-600">{t.user.email}</Td>
            <Td className="text-zinc-600">{formatDateTime(t.createdAt)}</Td>
            <Td className="text-zinc-600">
              {t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "Never"}
            </Td>
            <Td className="text-zinc-600">{t.expiresAt ? formatDay(t.expiresAt) : "—"}</Td>
            <Td>
              {t.revokedAt ? (
                <Badge tone="danger">Revoked {formatDateTime(t.revokedAt)}</Badge>
              ) : t.expired ? (
                <Badge tone="danger">Expired</Badge>
              ) : (
                <Badge tone="success">Active</Badge>
              )}
            </Td>
            <Td className="text-right">
              {!t.revokedAt && (
                <ConfirmRowAction
                  label="Revoke"
                  ariaLabel={`Revoke ${t.name}`}
                  confirm={`Revoke “${t.name}”? Calls using it will fail.`}
                  pending={revoke.isPending && revoke.variables?.id === t.id}
                  onConfirm={() => revoke.mutate({ id: t.id })}
                />
              )}
            </Td>
          </tr>
        ))}
      </SettingsTable>
    </>
  );
}
