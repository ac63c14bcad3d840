"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formatDateTime } from "@/lib/format";
import { ROLES, type Role } from "@/lib/roles";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SelectField, TextField, inputClass } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { ConfirmRowAction, SettingsSection } from "./settings-section";

export function MembersPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const members = useQuery(trpc.workspace.members.queryOptions());
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.workspace.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);

  const add = useMutation(
    trpc.workspace.addMember.mutationOptions({
      onSuccess: async () => {
        setEmail("");
        await refresh();
      },
    }),
  );
  const setMemberRole = useMutation(trpc.workspace.setRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.workspace.removeMember.mutationOptions({ onSuccess: refresh }));
  const addErrors = formErrors(add.error);
  const rowError = setMemberRole.error ?? remove.error;

  function onAdd(e: FormEvent) {
    e.preventDefault();
    add.mutate({ email, role });
  }

  return (
    <SettingsSection
      id="members-heading"
      title="Members"
      description="Viewers read; editors change workflows; approvers also approve; admins manage members and tokens."
    >
      {isAdmin && (
        <form
          onSubmit={onAdd}
          aria-label="Add a member"
          className="grid grid-cols-[1fr_10rem_auto] items-start gap-3 rounded-lg border border-zinc-200 bg-white p-3"
          noValidate
        >
          <TextField
            label="Email of an existing account"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            errors={addErrors.fields.email}
          />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <Button type="submit" variant="primary" className="mt-5" pending={add.isPending}>
            Add member
          </Button>
          {addErrors.message && (
            <Alert tone="error" className="col-span-3">
              {addErrors.message}
            </Alert>
          )}
        </form>
      )}

      {rowError && <Alert tone="error">{errorMessage(rowError)}</Alert>}

      {members.isPending ? (
        <p className="text-sm text-zinc-500">Loading members…</p>
      ) : members.error ? (
        <Alert tone="error">{errorMessage(members.error)}</Alert>
      ) : (
        <Table label="Members">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Email</Th>
              <Th className="w-40">Role</Th>
              <Th className="w-40">Member since</Th>
              {isAdmin && (
                <Th className="w-24">
                  <span className="sr-only">Actions</span>
                </Th>
              )}
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.id}>
                <Td className="font-medium">{m.user.name}</Td>
                <Td className="text-zinc-600">{m.user.email}</Td>
                <Td>
                  {isAdmin ? (
                    <select
                      aria-label={`Role of ${m.user.email}`}
                      className={`${inputClass} h-7 py-0.5 text-xs`}
                      value={m.role}
                      disabled={setMemberRole.isPending}
                      onChange={(e) =>
                        setMemberRole.mutate({ membershipId: m.id, role: e.target.value as Role })
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <Badge tone={m.role === "admin" ? "accent" : "neutral"}>{m.role}</Badge>
                  )}
                </Td>
                <Td className="whitespace-nowrap text-zinc-600">{formatDateTime(m.since)}</Td>
                {isAdmin && (
                  <Td className="text-right">
                    <ConfirmRowAction
                      label="Remove"
                      ariaLabel={`Remove ${m.user.email}`}
                      confirm={`Remove ${m.user.email} from this workspace?`}
                      pending={remove.isPending && remove.variables?.membershipId === m.id}
                      onConfirm={() => remove.mutate({ membershipId: m.id })}
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
