"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { clearSelectedWorkspace, useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { ConfirmRowAction } from "@/components/settings/confirm-row-action";
import { SettingsForm } from "@/components/settings/settings-form";
import { SettingsSection } from "@/components/settings/settings-section";
import { SettingsTable, type SettingsColumn } from "@/components/settings/settings-table";

const SESSION_COLUMNS: readonly SettingsColumn[] = [
  { label: "Browser" },
  { label: "Address", className: "w-36" },
  { label: "Last active", className: "w-40" },
];

/**
 * The signed-in user's own security: change the password (ends every session, this one too) and
 * see or end the browser sessions that are still alive.
 */
export function AccountSecurityPanel() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");

  /** This browser's session has ended on the server: drop the cookie and go to sign-in. */
  async function leave() {
    await signOut({ redirect: false });
    clearSelectedWorkspace();
    queryClient.clear();
    router.replace("/sign-in");
    router.refresh();
  }

  const change = useMutation(trpc.auth.changePassword.mutationOptions({ onSuccess: leave }));
  const everywhere = useMutation(trpc.auth.signOutEverywhere.mutationOptions({ onSuccess: leave }));
  const revoke = useMutation(
    trpc.auth.revokeSession.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.auth.sessions.pathFilter()),
    }),
  );
  const errors = formErrors(change.error);

  return (
    <SettingsSection
      id="account-security-heading"
      title="Your password and sessions"
      description="Changing the password signs you out everywhere, this browser included."
    >
      <SettingsForm
        label="Change your password"
        submitLabel="Change password"
        pending={change.isPending}
        onSubmit={() => change.mutate({ currentPassword: current, newPassword: next })}
        error={errors.message}
      >
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          errors={errors.fields.currentPassword}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          errors={errors.fields.newPassword}
          hint="At least 12 characters, hard to guess."
        />
      </SettingsForm>

      <SettingsTable
        label="Your sessions"
        columns={SESSION_COLUMNS}
        actions
        query={sessions}
        loadingText="Loading sessions…"
        actionError={revoke.error ?? everywhere.error}
      >
        {sessions.data?.map((s) => (
          <tr key={s.id}>
            <Td className="max-w-xs truncate text-zinc-600" title={s.userAgent}>
              {s.current ? "This browser" : s.userAgent || "unknown"}
            </Td>
            <Td className="text-zinc-600">{s.address}</Td>
            <Td className="whitespace-nowrap text-zinc-600">{formatDateTime(s.lastSeenAt)}</Td>
            <Td className="text-right">
              {!s.current && (
                <ConfirmRowAction
                  label="End"
                  ariaLabel={`End the session from ${s.address}`}
                  confirm="End this session? That browser will have to sign in again."
                  pending={revoke.isPending && revoke.variables?.sessionId === s.id}
                  onConfirm={() => revoke.mutate({ sessionId: s.id })}
                />
              )}
            </Td>
          </tr>
        ))}
      </SettingsTable>
      <div>
        <Button
          variant="secondary"
          pending={everywhere.isPending}
          onClick={() => {
            if (window.confirm("Sign out of every browser, this one included?"))
              everywhere.mutate();
          }}
        >
          Sign out everywhere
        </Button>
      </div>
    </SettingsSection>
  );
}
