"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Badge } from "@/components/ui/badge";
import { TextField } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { ConfirmRowAction } from "./confirm-row-action";
import { SettingsForm } from "./settings-form";
import { SettingsSection } from "./settings-section";
import { SettingsTable, type SettingsColumn } from "./settings-table";

/** Settings: the hosts flows and connectors may reach although private or plain http. */
export function EgressPanel() {
  const isAdmin = useCan("admin");
  return (
    <SettingsSection
      id="egress-heading"
      title="Outbound access"
      description={
        <>
          Flows and connectors call only public https addresses. Allow a host here to reach it over
          plain http or at a private, loopback or link-local address (an internal API, a test
          receiver). Each change is recorded in the audit ledger.
        </>
      }
    >
      {isAdmin ? (
        <EgressAdmin />
      ) : (
        <p className="text-sm text-zinc-600">
          Only admins of this workspace manage outbound access.
        </p>
      )}
    </SettingsSection>
  );
}

const HOST_COLUMNS: readonly SettingsColumn[] = [
  { label: "Host" },
  { label: "Allows" },
  { label: "Reason" },
  { label: "Added" },
];

function EgressAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery(trpc.egress.list.queryOptions());
  const [host, setHost] = useState("");
  const [reason, setReason] = useState("");
  const [allowHttp, setAllowHttp] = useState(false);
  const [allowPrivate, setAllowPrivate] = useState(true);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.egress.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  const allow = useMutation(
    trpc.egress.allow.mutationOptions({
      onSuccess: async () => {
        setHost("");
        setReason("");
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.egress.remove.mutationOptions({ onSuccess: refresh }));
  const errors = formErrors(allow.error);

  return (
    <>
      <SettingsForm
        label="Allow a host"
        submitLabel="Allow host"
        pending={allow.isPending}
        onSubmit={() => allow.mutate({ host, reason, allowHttp, allowPrivate })}
        error={errors.message}
        below={
          <div className="col-span-3 flex flex-wrap gap-x-5 gap-y-1">
            <label className="flex items-center gap-1.5 text-sm text-zinc-800">
              <input
                type="checkbox"
                checked={allowPrivate}
                onChange={(e) => setAllowPrivate(e.target.checked)}
              />
              <span>Private addresses</span>
              <span className="text-xs text-zinc-500">loopback, RFC 1918, link-local, …</span>
            </label>
            <label className="flex items-center gap-1.5 text-sm text-zinc-800">
              <input
                type="checkbox"
                checked={allowHttp}
                onChange={(e) => setAllowHttp(e.target.checked)}
              />
              <span>Plain http</span>
              <span className="text-xs text-zinc-500">unencrypted; https is always allowed</span>
            </label>
          </div>
        }
      >
        <TextField
          label="Host"
          placeholder="api.internal.example or 10.0.0.5"
          value={host}
          onChange={(e) => setHost(e.target.value)}
          errors={errors.fields.host}
        />
        <TextField
          label="Reason"
          placeholder="ERP behind the VPN"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          errors={errors.fields.reason}
        />
      </SettingsForm>

      <SettingsTable
        label="Allowed hosts"
        columns={HOST_COLUMNS}
        actions
        query={hosts}
        loadingText="Loading allowed hosts…"
        emptyText="No hosts allowed: public https only."
        actionError={remove.error}
      >
        {hosts.data?.map((h) => (
          <tr key={h.id}>
            <Td className="font-mono text-xs">{h.host}</Td>
            <Td className="space-x-1">
              {h.allowPrivate && <Badge tone="warning">private</Badge>}
              {h.allowHttp && <Badge tone="warning">http</Badge>}
              {!h.allowPrivate && !h.allowHttp && <Badge tone="neutral">https</Badge>}
            </Td>
            <Td className="text-zinc-600">{h.reason || "—"}</Td>
            <Td className="text-zinc-600">{formatDateTime(h.createdAt)}</Td>
            <Td className="text-right">
              <ConfirmRowAction
                label="Remove"
                ariaLabel={`Remove ${h.host}`}
                confirm={`Remove ${h.host}? Calls to it will be refused again.`}
                pending={remove.isPending && remove.variables?.id === h.id}
                onConfirm={() => remove.mutate({ id: h.id })}
              />
            </Td>
          </tr>
        ))}
      </SettingsTable>
    </>
  );
}
