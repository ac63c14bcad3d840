"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { ConfirmRowAction, SettingsSection } from "./settings-section";

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

  function onAllow(e: FormEvent) {
    e.preventDefault();
    allow.mutate({ host, reason, allowHttp, allowPrivate });
  }

  return (
    <>
      <form
        onSubmit={onAllow}
        aria-label="Allow a host"
        className="grid grid-cols-[1fr_1fr_auto] items-start gap-3 rounded-lg border border-zinc-200 bg-white p-3"
        noValidate
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
        <Button type="submit" variant="primary" className="mt-5" pending={allow.isPending}>
          Allow host
        </Button>
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
        {errors.message && (
          <Alert tone="error" className="col-span-3">
            {errors.message}
          </Alert>
        )}
      </form>

      {remove.error && <Alert tone="error">{errorMessage(remove.error)}</Alert>}

      {hosts.isPending ? (
        <p className="text-sm text-zinc-500">Loading allowed hosts…</p>
      ) : hosts.error ? (
        <Alert tone="error">{errorMessage(hosts.error)}</Alert>
      ) : hosts.data.length === 0 ? (
        <p className="text-sm text-zinc-600">No hosts allowed: public https only.</p>
      ) : (
        <Table label="Allowed hosts">
          <thead>
            <tr>
              <Th>Host</Th>
              <Th>Allows</Th>
              <Th>Reason</Th>
              <Th>Added</Th>
              <Th className="w-24">
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {hosts.data.map((h) => (
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
          </tbody>
        </Table>
      )}
    </>
  );
}
