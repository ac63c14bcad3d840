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
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const invitations = useQuery({
    ...trpc.workspace.invitations.queryOptions(),
    enabled: isAdmin,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.workspace.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);

  const invite = useMutation(
    trpc.workspace.invite.mutationOptions({
      onSuccess: async (inv) => {
        setLink({ email: inv.email, url: `${window.location.origin}/invite/${inv.token}` });
        setCopied(false);
        setEmail("");
        await refresh();
      },
    }),
  );
  const revokeInvitation = useMutation(
    trpc.workspace.revokeInvitation.mutationOptions({ onSuccess: refresh }),
  );
  const setMemberRole = useMutation(trpc.workspace.setRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.workspace.removeMember.mutationOptions({ onSuccess: refresh }));
  const inviteErrors = formErrors(invite.error);
  const rowError = setMemberRole.error ?? remove.error ?? revokeInvitation.error;

  function onInvite(e: FormEvent) {
    e.preventDefault();
    invite.mutate({ email, role });
  }

  async function copy(value: string) {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return (
    <SettingsSection
      id="members-heading"
      title="Members"
      description="Viewers read; editors change workflows; approvers also approve; admins invite members and manage tokens."
    >
      {isAdmin && (
        <form
          onSubmit={onInvite}
          aria-label="Invite a member"
          className="grid grid-cols-[1fr_10rem_auto] items-start gap-3 rounded-lg border border-zinc-200 bg-white p-3"
          noValidate
        >
          <TextField
            label="Email to invite"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            errors={inviteErrors.fields.email}
            hint="They join once they accept the link while signed in with this email."
          />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </SelectField>
          <Button type="submit" variant="primary" className="mt-5" pending={invite.isPending}>
            Create invitation
          </Button>
          {inviteErrors.message && (
            <Alert tone="error" className="col-span-3">
              {inviteErrors.message}
            </Alert>
          )}
        </form>
      )}

      {link && (
        <Alert
          tone="warning"
          testId="new-invitation-link"
          action={
            <Button size="sm" variant="ghost" onClick={() => setLink(null)}>
              Done
            </Button>
          }
        >
          <p className="font-medium">
            Send this link to {link.email} yourself: it is shown only once, works once and expires
            in 7 days.
          </p>
          <div className="mt-2 flex items-center gap-2">
            <code className="rounded border border-amber-200 bg-white px-2 py-1 font-mono text-xs break-all select-all">
              {link.url}
            </code>
            <Button size="sm" onClick={() => void copy(link.url)}>
              {copied ? "Copied" : "Copy"}
            </Button>
          </div>
        </Alert>
      )}

      {isAdmin && invitations.data && invitations.data.length > 0 && (
        <Table label="Pending invitations">
          <thead>
            <tr>
              <Th>Invited email</Th>
              <Th className="w-40">Role</Th>
              <Th className="w-40">Expires</Th>
              <Th className="w-24">
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {invitations.data.map((i) => (
              <tr key={i.id}>
                <Td className="text-zinc-600">{i.email}</Td>
                <Td>
                  <Badge tone="neutral">{i.role}</Badge>
                </Td>
                <Td className="whitespace-nowrap text-zinc-600">
                  {i.expired ? "expired" : formatDateTime(i.expiresAt)}
                </Td>
                <Td className="text-right">
                  <ConfirmRowAction
                    label="Revoke"
                    ariaLabel={`Revoke the invitation of ${i.email}`}
                    confirm={`Revoke the invitation of ${i.email}? Its link stops working.`}
                    pending={
                      revokeInvitation.isPending &&
                      revokeInvitation.variables?.invitationId === i.id
                    }
                    onConfirm={() => revokeInvitation.mutate({ invitationId: i.id })}
                  />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
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
