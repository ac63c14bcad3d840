"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { ROLES, type Role } from "@/lib/enums";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Badge } from "@/components/ui/badge";
import { SelectField, TextField, inputClass } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { ConfirmRowAction } from "./confirm-row-action";
import { SettingsForm } from "./settings-form";
import { SettingsSection } from "./settings-section";
import { SettingsTable, type SettingsColumn } from "./settings-table";
import { ShownOnce } from "./shown-once";

const INVITATION_COLUMNS: readonly SettingsColumn[] = [
  { label: "Invited email" },
  { label: "Role", className: "w-40" },
  { label: "Expires", className: "w-40" },
];
const MEMBER_COLUMNS: readonly SettingsColumn[] = [
  { label: "Name" },
  { label: "Email" },
  { label: "Role", className: "w-40" },
  { label: "Member since", className: "w-40" },
];

export function MembersPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const members = useQuery(trpc.workspace.members.queryOptions());
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
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

  return (
    <SettingsSection
      id="members-heading"
      title="Members"
      description="Viewers read; editors change workflows; approvers also approve; admins invite members and manage tokens."
    >
      {isAdmin && (
        <SettingsForm
          label="Invite a member"
          layout="field-and-select"
          submitLabel="Create invitation"
          pending={invite.isPending}
          onSubmit={() => invite.mutate({ email, role })}
          error={inviteErrors.message}
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
        </SettingsForm>
      )}

      {link && (
        <ShownOnce testId="new-invitation-link" value={link.url} onDone={() => setLink(null)}>
          Send this link to {link.email} yourself: it is shown only once, works once and expires in
          7 days.
        </ShownOnce>
      )}

      {isAdmin && invitations.data && invitations.data.length > 0 && (
        <SettingsTable label="Pending invitations" columns={INVITATION_COLUMNS} actions>
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
                    revokeInvitation.isPending && revokeInvitation.variables?.invitationId === i.id
                  }
                  onConfirm={() => revokeInvitation.mutate({ invitationId: i.id })}
                />
              </Td>
            </tr>
          ))}
        </SettingsTable>
      )}

      <SettingsTable
        label="Members"
        columns={MEMBER_COLUMNS}
        actions={isAdmin}
        query={members}
        loadingText="Loading members…"
        actionError={rowError}
      >
        {members.data?.map((m) => (
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
      </SettingsTable>
    </SettingsSection>
  );
}
